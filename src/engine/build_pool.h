// A small bounded pool of worker threads for the engine's background work:
// index builds of sealed segments and compactions. At most `max_workers`
// jobs run at once; the rest wait in a FIFO queue. Threads start on demand,
// so a pool that never gets a job costs nothing (and a process that forks
// before using its pool has no threads to lose).
#ifndef COVE_SRC_ENGINE_BUILD_POOL_H_
#define COVE_SRC_ENGINE_BUILD_POOL_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace cove::engine {

/// Runs jobs on up to max_workers() threads.
///
/// Thread safety: Submit() may be called from any thread, including a job.
/// The destructor runs the jobs still queued, then joins the threads; it must
/// not run on one of the pool's own threads.
class BuildPool {
 public:
  /// `max_workers` < 1 is taken as 1. `threads_per_job` is what jobs should
  /// give their index builds (IndexParams::build_threads).
  explicit BuildPool(int max_workers, int threads_per_job = 1);
  ~BuildPool();

  BuildPool(const BuildPool&) = delete;
  BuildPool& operator=(const BuildPool&) = delete;

  /// A pool sized from a thread budget (0 = hardware concurrency): at most
  /// two concurrent jobs, each allowed the whole budget (a lone build uses
  /// every core; two at once share them).
  static std::shared_ptr<BuildPool> FromThreadBudget(int threads);

  int max_workers() const { return max_workers_; }
  int threads_per_job() const { return threads_per_job_; }

  void Submit(std::function<void()> job);

 private:
  void Work();

  const int max_workers_;
  const int threads_per_job_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  int idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_BUILD_POOL_H_
