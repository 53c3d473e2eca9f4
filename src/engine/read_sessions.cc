// Read sessions: see read_sessions.h.
#include "engine/read_sessions.h"

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace cove::engine {

ReadSessions::ReadSessions(ReadSessionOptions options)
    : options_(std::move(options)) {}

absl::Status ReadSessions::Unknown(const std::string& id) {
  return absl::NotFoundError(
      absl::StrCat("read session '", id,
                   "' not found (closed, expired after being idle, its "
                   "collection dropped, or never opened here)"));
}

absl::StatusOr<std::string> ReadSessions::Open(
    std::shared_ptr<Collection> collection) {
  // Pin outside the lock: it takes the collection's state lock.
  PinnedRead pinned;
  pinned.state = collection->Pin();
  pinned.collection = std::move(collection);
  const absl::Time now = Now();
  absl::MutexLock lock(&mu_);
  SweepLocked(now);
  if (sessions_.size() >= options_.max_sessions) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "read session: the maximum of ", options_.max_sessions,
        " open sessions is reached (close iterators that are no longer used)"));
  }
  std::string id;
  do {
    const uint64_t n = rng_() >> 1;  // 63 bits: fits signed and unsigned
    id = absl::StrCat(n == 0 ? 1 : n);
  } while (sessions_.count(id) != 0);
  sessions_.emplace(id, Session{std::move(pinned), now});
  open_.store(sessions_.size(), std::memory_order_relaxed);
  return id;
}

absl::StatusOr<PinnedRead> ReadSessions::Use(const std::string& id,
                                             const Collection* collection) {
  const absl::Time now = Now();
  absl::MutexLock lock(&mu_);
  SweepLocked(now);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return Unknown(id);
  if (it->second.pinned.collection.get() != collection) {
    return absl::InvalidArgumentError(
        absl::StrCat("read session '", id, "': it belongs to collection '",
                     it->second.pinned.collection->name(),
                     "' (got a request for '", collection->name(), "')"));
  }
  it->second.last_used = now;
  return it->second.pinned;
}

absl::Status ReadSessions::Close(const std::string& id) {
  PinnedRead released;  // dropped outside the lock
  absl::MutexLock lock(&mu_);
  SweepLocked(Now());
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return Unknown(id);
  released = std::move(it->second.pinned);
  sessions_.erase(it);
  open_.store(sessions_.size(), std::memory_order_relaxed);
  return absl::OkStatus();
}

void ReadSessions::Forget(const Collection* collection) {
  absl::MutexLock lock(&mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto next = std::next(it);
    if (it->second.pinned.collection.get() == collection) sessions_.erase(it);
    it = next;
  }
  open_.store(sessions_.size(), std::memory_order_relaxed);
}

void ReadSessions::Sweep() {
  if (open_.load(std::memory_order_relaxed) == 0) return;
  const absl::Time now = Now();
  if (absl::ToUnixNanos(now) < next_sweep_ns_.load(std::memory_order_relaxed)) {
    return;
  }
  absl::MutexLock lock(&mu_);
  SweepLocked(now);
}

void ReadSessions::SweepLocked(absl::Time now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto next = std::next(it);
    if (now - it->second.last_used > options_.idle_timeout) {
      sessions_.erase(it);
    }
    it = next;
  }
  open_.store(sessions_.size(), std::memory_order_relaxed);
  next_sweep_ns_.store(absl::ToUnixNanos(now + options_.idle_timeout / 10),
                       std::memory_order_relaxed);
}

size_t ReadSessions::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

}  // namespace cove::engine
