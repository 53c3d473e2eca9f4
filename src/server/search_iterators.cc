#include "server/search_iterators.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace cove::server {
namespace {

constexpr size_t kBoundsKept = 8;

// 128 random bits, hex: tokens are not guessable (they are also bound to
// their user, database and collection).
std::string NewToken() {
  std::random_device device;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&out, absl::Hex(device(), absl::kZeroPad8));
  }
  return out;
}

size_t QueryCount(const SearchRequest& search) {
  if (!search.sparse_vectors.empty()) return search.sparse_vectors.size();
  if (!search.texts.empty()) return search.texts.size();
  if (search.dim == 0) return 0;
  return search.vectors.size() / search.dim;
}

absl::Status UnknownToken(const std::string& token) {
  std::string shown = internal::ValidUtf8(token);
  if (shown.size() > 64) shown = absl::StrCat(shown.substr(0, 64), "...");
  return absl::NotFoundError(absl::StrCat(
      "search iterator '", shown,
      "' (search_iter_id): unknown or ended (an iterator ends after 10 "
      "minutes without a page or when the server restarts; start a new one)"));
}

bool SameBits(float a, float b) {
  return std::memcmp(&a, &b, sizeof(float)) == 0;
}

}  // namespace

SearchIterators::SearchIterators(std::shared_ptr<Connection> connection,
                                 Options options)
    : connection_(std::move(connection)), options_(options) {}

SearchIterators::~SearchIterators() {
  std::vector<Ended> ended;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [token, state] : iterators_) {
      ended.push_back({state.db_name, state.collection, state.session_id});
    }
    iterators_.clear();
  }
  Close(ended);
}

size_t SearchIterators::size() const {
  absl::MutexLock lock(&mu_);
  return iterators_.size();
}

std::vector<SearchIterators::Ended> SearchIterators::EvictLocked(
    absl::Time now, bool make_room) {
  std::vector<Ended> ended;
  for (auto it = iterators_.begin(); it != iterators_.end();) {
    if (now - it->second.last_used >= options_.idle_timeout) {
      ended.push_back(
          {it->second.db_name, it->second.collection, it->second.session_id});
      it = iterators_.erase(it);
    } else {
      ++it;
    }
  }
  while (make_room && !iterators_.empty() &&
         iterators_.size() >= options_.max_iterators) {
    auto oldest = iterators_.begin();
    for (auto it = iterators_.begin(); it != iterators_.end(); ++it) {
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    }
    ended.push_back({oldest->second.db_name, oldest->second.collection,
                     oldest->second.session_id});
    iterators_.erase(oldest);
  }
  return ended;
}

void SearchIterators::Close(const std::vector<Ended>& ended) {
  for (const Ended& e : ended) {
    CallOptions call;
    call.db_name = e.db_name;
    // The session may have expired by itself already: nothing to do then.
    connection_->CloseReadSession(e.collection, e.session_id, call)
        .IgnoreError();
  }
}

absl::StatusOr<SearchIterators::Page> SearchIterators::Next(
    const std::string& user, const CallOptions& call, SearchRequest search,
    const internal::SearchIteratorKeys& keys) {
  const size_t nq = QueryCount(search);
  if (nq != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search iterator: expected one query vector (got ", nq, ")"));
  }
  if (search.offset != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search iterator: offset is not supported (got ", search.offset,
        "); pages follow each other by search_iter_last_bound"));
  }
  if (!search.group_by_field.empty()) {
    return absl::InvalidArgumentError(
        "search iterator: group_by_field is not supported with an iterator");
  }
  if (!search.session_id.empty() || search.search_after.has_value()) {
    return absl::InvalidArgumentError(
        "search iterator: cove read-session keys cannot be combined with "
        "search_iter_v2");
  }
  if (keys.batch_size > 0) search.limit = keys.batch_size;
  if (keys.token.empty() && keys.last_bound.has_value()) {
    return absl::InvalidArgumentError(
        "search iterator: search_iter_last_bound without search_iter_id "
        "(the token of the first page)");
  }

  const absl::Time now = absl::Now();
  std::string token = keys.token;
  std::optional<Bound> after;
  std::vector<Ended> ended;
  if (token.empty()) {
    COVE_ASSIGN_OR_RETURN(
        std::string session,
        connection_->OpenReadSession(search.collection_name, call));
    token = NewToken();
    absl::MutexLock lock(&mu_);
    ended = EvictLocked(now, /*make_room=*/true);
    State& state = iterators_[token];
    state.user = user;
    state.db_name = call.db_name;
    state.collection = search.collection_name;
    state.session_id = std::move(session);
    state.last_used = now;
    search.session_id = state.session_id;
  } else {
    absl::MutexLock lock(&mu_);
    ended = EvictLocked(now, /*make_room=*/false);
    auto it = iterators_.find(token);
    if (it == iterators_.end() || it->second.user != user ||
        it->second.db_name != call.db_name ||
        it->second.collection != search.collection_name) {
      // Another user's, database's or collection's token answers as an
      // unknown one.
      Close(ended);
      return UnknownToken(token);
    }
    State& state = it->second;
    state.last_used = now;
    search.session_id = state.session_id;
    if (keys.last_bound.has_value()) {
      for (auto b = state.bounds.rbegin(); b != state.bounds.rend(); ++b) {
        if (SameBits(b->distance, *keys.last_bound)) {
          after = *b;
          break;
        }
      }
      if (!after.has_value()) {
        Close(ended);
        return absl::InvalidArgumentError(absl::StrFormat(
            "search param 'search_iter_last_bound': %g is not where a page "
            "of iterator '%s' ended (send back the last_bound of a reply)",
            *keys.last_bound, internal::ValidUtf8(token)));
      }
    }
  }
  Close(ended);
  if (after.has_value()) {
    search.search_after = SearchCursor{after->distance, after->id};
  }

  auto results = connection_->Search(search, call);
  if (!results.ok()) {
    if (absl::IsNotFound(results.status()) &&
        absl::StrContains(results.status().message(), "session")) {
      // The read session ended under the iterator (idle in the backend).
      absl::MutexLock lock(&mu_);
      iterators_.erase(token);
      return UnknownToken(token);
    }
    return results.status();
  }

  Page page;
  page.token = token;
  page.last_bound = after.has_value() ? after->distance : 0.0f;
  {
    absl::MutexLock lock(&mu_);
    auto it = iterators_.find(token);
    if (it != iterators_.end() && !results->hits.empty() &&
        !results->hits[0].empty()) {
      const Hit& last = results->hits[0].back();
      page.last_bound = last.distance;
      std::deque<Bound>& bounds = it->second.bounds;
      // A page asked again (a retry) ends where it ended before.
      bool known = false;
      for (const Bound& b : bounds) {
        known = known || (SameBits(b.distance, last.distance) &&
                          b.id.ToJson() == last.id.ToJson());
      }
      if (!known) {
        bounds.push_back({last.distance, last.id});
        if (bounds.size() > kBoundsKept) bounds.pop_front();
      }
    }
  }
  page.results = *std::move(results);
  search.session_id.clear();
  search.search_after.reset();
  page.request = std::move(search);
  return page;
}

}  // namespace cove::server
