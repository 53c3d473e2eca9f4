// Milvus' query iterator (as pymilvus 2.5 drives it) over cove's read
// sessions.
//
// The protocol: every page is a query with "iterator": "True" among its
// query params, rows in primary-key order, the next page filtering on
// "pk > last". The first page's reply carries session_ts, and the next
// pages send it back as guarantee_timestamp; Milvus then reads the
// collection as of that timestamp (its MVCC timestamp), so rows written
// between pages are not seen and deleted rows stay visible. Cove keeps, per
// session_ts it handed out, a read session opened at the first page, and
// reads the next pages through it.
//
// A page with a guarantee_timestamp this server did not hand out (0, or a
// client's own timestamp) is a first page: it opens a session. A timestamp
// whose session has ended (10 minutes without a page, the least recently
// used when `max_iterators` are open, a restart) is FailedPrecondition, not
// a silent read of the current state.
#ifndef COVE_SRC_SERVER_QUERY_ITERATORS_H_
#define COVE_SRC_SERVER_QUERY_ITERATORS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cove/connection.h"
#include "cove/types.h"

namespace cove::server {

class QueryIterators {
 public:
  struct Options {
    size_t max_iterators = 256;
    absl::Duration idle_timeout = absl::Minutes(10);
    /// How many ended timestamps are remembered (to refuse them).
    size_t max_ended_kept = 4096;
  };
  /// What a page reads through.
  struct Pin {
    std::string session_id;
    /// The session_ts to answer with (the first page's).
    uint64_t session_ts = 0;
  };

  /// `next_ts` hands out new session timestamps (the server's hybrid clock).
  QueryIterators(std::shared_ptr<Connection> connection,
                 std::function<uint64_t()> next_ts, Options options);
  ~QueryIterators();
  QueryIterators(const QueryIterators&) = delete;
  QueryIterators& operator=(const QueryIterators&) = delete;

  /// The session a page of `user`'s iterator over `collection` reads:
  /// the one of `guarantee_ts` when this server handed it out to the same
  /// user, database and collection, else a new one (a first page).
  /// FailedPrecondition for a timestamp whose session has ended; the
  /// errors of Connection::OpenReadSession.
  absl::StatusOr<Pin> PinPage(const std::string& user, const CallOptions& call,
                              const std::string& collection,
                              uint64_t guarantee_ts);

  /// Live iterators (for tests).
  size_t size() const;

 private:
  struct State {
    std::string user;
    std::string db_name;
    std::string collection;
    std::string session_id;
    absl::Time last_used;
  };
  struct Ended {
    std::string db_name;
    std::string collection;
    std::string session_id;
  };

  // Removes idle iterators (and, when full, the least recently used),
  // remembers their timestamps as ended, and returns them; their sessions
  // are closed outside the lock.
  std::vector<Ended> EvictLocked(absl::Time now, bool make_room)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetLocked(std::map<uint64_t, State>::iterator it,
                    std::vector<Ended>* ended)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Close(const std::vector<Ended>& ended);

  const std::shared_ptr<Connection> connection_;
  const std::function<uint64_t()> next_ts_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::map<uint64_t, State> iterators_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> ended_ ABSL_GUARDED_BY(mu_);
  std::deque<uint64_t> ended_order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_QUERY_ITERATORS_H_
