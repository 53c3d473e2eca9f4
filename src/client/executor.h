// A fixed pool of worker threads that runs the client's asynchronous calls.
#ifndef COVE_SRC_CLIENT_EXECUTOR_H_
#define COVE_SRC_CLIENT_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace cove::internal {

/// Runs tasks on `threads` workers, in submission order per worker pick-up.
/// The destructor finishes every queued task, then joins the workers.
class Executor {
 public:
  explicit Executor(int threads);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void Submit(std::function<void()> task);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace cove::internal

#endif  // COVE_SRC_CLIENT_EXECUTOR_H_
