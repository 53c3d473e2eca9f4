#include "server/query_iterators.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cove::server {

QueryIterators::QueryIterators(std::shared_ptr<Connection> connection,
                               std::function<uint64_t()> next_ts,
                               Options options)
    : connection_(std::move(connection)),
      next_ts_(std::move(next_ts)),
      options_(options) {}

QueryIterators::~QueryIterators() {
  std::vector<Ended> ended;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [ts, state] : iterators_) {
      ended.push_back({state.db_name, state.collection, state.session_id});
    }
    iterators_.clear();
  }
  Close(ended);
}

size_t QueryIterators::size() const {
  absl::MutexLock lock(&mu_);
  return iterators_.size();
}

void QueryIterators::ForgetLocked(std::map<uint64_t, State>::iterator it,
                                  std::vector<Ended>* ended) {
  ended->push_back(
      {it->second.db_name, it->second.collection, it->second.session_id});
  if (ended_.insert(it->first).second) ended_order_.push_back(it->first);
  while (ended_order_.size() > options_.max_ended_kept) {
    ended_.erase(ended_order_.front());
    ended_order_.pop_front();
  }
  iterators_.erase(it);
}

std::vector<QueryIterators::Ended> QueryIterators::EvictLocked(absl::Time now,
                                                               bool make_room) {
  std::vector<Ended> ended;
  for (auto it = iterators_.begin(); it != iterators_.end();) {
    auto next = std::next(it);
    if (now - it->second.last_used >= options_.idle_timeout) {
      ForgetLocked(it, &ended);
    }
    it = next;
  }
  while (make_room && !iterators_.empty() &&
         iterators_.size() >= options_.max_iterators) {
    auto oldest = iterators_.begin();
    for (auto it = iterators_.begin(); it != iterators_.end(); ++it) {
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    }
    ForgetLocked(oldest, &ended);
  }
  return ended;
}

void QueryIterators::Close(const std::vector<Ended>& ended) {
  for (const Ended& e : ended) {
    CallOptions call;
    call.db_name = e.db_name;
    // The session may have expired by itself already: nothing to do then.
    connection_->CloseReadSession(e.collection, e.session_id, call)
        .IgnoreError();
  }
}

absl::StatusOr<QueryIterators::Pin> QueryIterators::PinPage(
    const std::string& user, const CallOptions& call,
    const std::string& collection, uint64_t guarantee_ts) {
  const absl::Time now = absl::Now();
  std::vector<Ended> ended;
  if (guarantee_ts != 0) {
    Pin pin;
    bool found = false;
    bool was_ended = false;
    {
      absl::MutexLock lock(&mu_);
      ended = EvictLocked(now, /*make_room=*/false);
      auto it = iterators_.find(guarantee_ts);
      if (it != iterators_.end() && it->second.user == user &&
          it->second.db_name == call.db_name &&
          it->second.collection == collection) {
        it->second.last_used = now;
        pin.session_id = it->second.session_id;
        pin.session_ts = guarantee_ts;
        found = true;
      } else if (it == iterators_.end()) {
        was_ended = ended_.count(guarantee_ts) != 0;
      }
    }
    Close(ended);
    if (found) return pin;
    if (was_ended) {
      return absl::FailedPreconditionError(absl::StrCat(
          "query iterator: the snapshot of guarantee_timestamp ", guarantee_ts,
          " has ended (an iterator ends after 10 minutes without a page, when "
          "too many are open, or when the server restarts; start a new one)"));
    }
    // Not one of ours (a client's own timestamp): a first page.
  }
  COVE_ASSIGN_OR_RETURN(std::string session,
                        connection_->OpenReadSession(collection, call));
  Pin pin;
  pin.session_id = session;
  {
    absl::MutexLock lock(&mu_);
    ended = EvictLocked(now, /*make_room=*/true);
    pin.session_ts = next_ts_();
    State& state = iterators_[pin.session_ts];
    state.user = user;
    state.db_name = call.db_name;
    state.collection = collection;
    state.session_id = std::move(session);
    state.last_used = now;
  }
  Close(ended);
  return pin;
}

}  // namespace cove::server
