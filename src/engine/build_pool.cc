// The engine's background worker pool. See build_pool.h.
#include "engine/build_pool.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace cove::engine {

BuildPool::BuildPool(int max_workers, int threads_per_job)
    : max_workers_(std::max(1, max_workers)),
      threads_per_job_(std::max(1, threads_per_job)) {}

std::shared_ptr<BuildPool> BuildPool::FromThreadBudget(int threads) {
  if (threads <= 0) {
    threads = static_cast<int>(std::thread::hardware_concurrency());
  }
  threads = std::max(1, threads);
  // Every job may use the whole budget: one segment's build runs on every
  // core it is given, and two jobs at once share the cores.
  const int workers = std::min(2, threads);
  return std::make_shared<BuildPool>(workers, threads);
}

BuildPool::~BuildPool() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

void BuildPool::Submit(std::function<void()> job) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(job));
  if (static_cast<int>(queue_.size()) > idle_ &&
      static_cast<int>(threads_.size()) < max_workers_) {
    threads_.emplace_back([this] { Work(); });
  }
}

void BuildPool::Work() {
  while (true) {
    std::function<void()> job;
    {
      absl::MutexLock lock(&mu_);
      ++idle_;
      mu_.Await(absl::Condition(
          +[](BuildPool* p) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return p->stop_ || !p->queue_.empty();
          },
          this));
      --idle_;
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace cove::engine
