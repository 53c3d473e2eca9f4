// Milvus' search iterator (v2, as pymilvus 2.5 and the Node SDK 2.5 drive it)
// over cove's read sessions.
//
// The protocol: the first page is a search with "search_iter_v2": true and a
// batch size; the reply carries a token and the page's last bound (the
// distance of its last hit). Each next page sends the token and that bound
// back and gets the hits after it. Cove keeps, per token, a read session (the
// collection as it was at the first page: later writes are not seen, deleted
// rows stay visible, as Milvus' MVCC timestamp does) and where each recent
// page ended (distance and primary key), so hits at the same distance as a
// page's last are neither lost nor repeated: the order is distance, then
// primary key. Pages are exact scans of the pinned rows.
//
// Iterators end after `idle_timeout` without a page (their session is
// closed); at most `max_iterators` live at once (the least recently used is
// ended first). An ended or unknown token is NotFound.
#ifndef COVE_SRC_SERVER_SEARCH_ITERATORS_H_
#define COVE_SRC_SERVER_SEARCH_ITERATORS_H_

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cove/connection.h"
#include "cove/types.h"
#include "milvus/convert.h"

namespace cove::server {

class SearchIterators {
 public:
  struct Options {
    size_t max_iterators = 1024;
    absl::Duration idle_timeout = absl::Minutes(10);
  };
  struct Page {
    SearchResults results;
    std::string token;
    float last_bound = 0.0f;
    /// The request as run (its limit is the batch size).
    SearchRequest request;
  };

  SearchIterators(std::shared_ptr<Connection> connection, Options options);
  ~SearchIterators();
  SearchIterators(const SearchIterators&) = delete;
  SearchIterators& operator=(const SearchIterators&) = delete;

  /// One page for `user`. InvalidArgument for what an iterator cannot do
  /// (several queries, an offset, grouping) and for a bound no page of the
  /// token ended at; NotFound for an unknown, ended or foreign token.
  absl::StatusOr<Page> Next(const std::string& user, const CallOptions& call,
                            SearchRequest search,
                            const internal::SearchIteratorKeys& keys);

  /// Live iterators (for tests).
  size_t size() const;

 private:
  struct Bound {
    float distance = 0.0f;
    Value id;
  };
  struct State {
    std::string user;
    std::string db_name;
    std::string collection;
    std::string session_id;
    /// Where the recent pages ended, oldest first.
    std::deque<Bound> bounds;
    absl::Time last_used;
  };
  struct Ended {
    std::string db_name;
    std::string collection;
    std::string session_id;
  };

  // Removes idle iterators (and, when full, the least recently used) and
  // returns them; their sessions are closed outside the lock.
  std::vector<Ended> EvictLocked(absl::Time now, bool make_room)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Close(const std::vector<Ended>& ended);

  const std::shared_ptr<Connection> connection_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::map<std::string, State> iterators_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_SEARCH_ITERATORS_H_
