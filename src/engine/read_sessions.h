// Read sessions: pinned collection states that iterators page through.
//
// A session holds a collection and the state it had when the session was
// opened (Collection::Pin()), under a random id. Sessions end when closed,
// when idle for longer than the idle timeout, or when their collection is
// dropped; expired sessions are swept on every call, so that a forgotten
// iterator holds its snapshot no longer than the timeout past the next use
// of the registry.
#ifndef COVE_SRC_ENGINE_READ_SESSIONS_H_
#define COVE_SRC_ENGINE_READ_SESSIONS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/collection.h"

namespace cove::engine {

struct ReadSessionOptions {
  /// A session unused for this long ends.
  absl::Duration idle_timeout = absl::Minutes(10);
  /// Most sessions open at once; Open() beyond is ResourceExhausted.
  size_t max_sessions = 1024;
  /// The clock (tests inject one); null: absl::Now.
  std::function<absl::Time()> clock;
};

/// What a session pins.
struct PinnedRead {
  std::shared_ptr<Collection> collection;
  std::shared_ptr<const CollectionState> state;
};

/// The open read sessions of one backend.
///
/// Thread safety: all methods may be called concurrently.
class ReadSessions {
 public:
  explicit ReadSessions(ReadSessionOptions options = {});

  /// Pins `collection`'s current state under a new session id (decimal
  /// digits of a random non-zero 63-bit number). ResourceExhausted when
  /// max_sessions are open.
  absl::StatusOr<std::string> Open(std::shared_ptr<Collection> collection);
  /// The pinned state of a session, for a read of `collection` (the object
  /// the request's name resolves to now); refreshes the idle timer.
  /// NotFound naming the session when it is unknown, closed or expired;
  /// InvalidArgument when it belongs to another collection.
  absl::StatusOr<PinnedRead> Use(const std::string& id,
                                 const Collection* collection);
  /// Ends a session. NotFound naming the session when it is unknown, closed
  /// or expired.
  absl::Status Close(const std::string& id);
  /// Ends every session of a collection (it is being dropped).
  void Forget(const Collection* collection);
  /// Ends the sessions idle for longer than the timeout. Cheap when called
  /// on every read: it returns at once when no session is open, and scans
  /// at most once per tenth of the idle timeout.
  void Sweep();
  /// Open sessions.
  size_t size() const;

 private:
  struct Session {
    PinnedRead pinned;
    absl::Time last_used;
  };
  absl::Time Now() const {
    return options_.clock ? options_.clock() : absl::Now();
  }
  void SweepLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static absl::Status Unknown(const std::string& id);

  const ReadSessionOptions options_;
  // Open sessions, and the earliest time of the next scan (Sweep() reads
  // them without the lock).
  std::atomic<size_t> open_{0};
  std::atomic<int64_t> next_sweep_ns_{0};
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
  // Unguessable ids: a session is reachable only by whoever opened it (and
  // every read still passes the backend's checks on the collection).
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_){std::random_device{}()};
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_READ_SESSIONS_H_
