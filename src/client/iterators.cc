// Query and search iterators. Each pins a consistent snapshot with a read
// session (Connection::OpenReadSession) and pages through it: primary-key
// cursors for queries, (distance, primary key) cursors over exact scans for
// searches. A server without sessions serves its own search iterator
// (Milvus' search_iter_v2) when it has one; otherwise the older cursors read
// the current state.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cove/client.h"

namespace cove {
namespace internal {

class ReadSessionHandle {
 public:
  ReadSessionHandle(std::shared_ptr<Connection> connection,
                    std::string collection, std::string id, CallOptions call)
      : connection_(std::move(connection)),
        collection_(std::move(collection)),
        id_(std::move(id)),
        call_(std::move(call)) {}
  ReadSessionHandle(const ReadSessionHandle&) = delete;
  ReadSessionHandle& operator=(const ReadSessionHandle&) = delete;
  // An unclosed session is closed here; its error (e.g. it had expired)
  // has no one to go to.
  ~ReadSessionHandle() { (void)Close(); }

  const std::string& id() const { return id_; }

  absl::Status Close() {
    if (closed_) return absl::OkStatus();
    closed_ = true;
    return connection_->CloseReadSession(collection_, id_, call_);
  }

 private:
  std::shared_ptr<Connection> connection_;
  std::string collection_;
  std::string id_;
  CallOptions call_;
  bool closed_ = false;
};

}  // namespace internal

namespace {

constexpr int64_t kMaxBatch = 16384;
constexpr char kCursorParam[] = "__cove_cursor";
constexpr char kSeenParam[] = "__cove_seen";

// Unpinned search pages only: distances computed by different index paths
// (graph walk, exact scan, batched kernels) may differ in the last bits; the
// cursor starts this far before the last distance and skips the hits
// already returned there.
float Band(float distance) {
  return std::max(1e-6f, 1e-5f * std::fabs(distance));
}

// "(user filter) and extra", or just "extra".
std::string AndFilter(const std::string& user, const std::string& extra) {
  if (user.empty()) return extra;
  return absl::StrCat("(", user, ") and ", extra);
}

absl::StatusOr<std::string> PrimaryKeyField(Connection& connection,
                                            const std::string& collection,
                                            const CallOptions& call) {
  COVE_ASSIGN_OR_RETURN(auto description,
                        connection.DescribeCollection(collection, call));
  for (const FieldSchema& f : description.schema.fields) {
    if (f.is_primary_key) return f.name;
  }
  return absl::InternalError(absl::StrCat("iterator: collection '", collection,
                                          "' has no primary key field"));
}

absl::Status CheckBatch(int64_t batch_size) {
  if (batch_size < 1 || batch_size > kMaxBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("iterator batch_size: expected 1 to ", kMaxBatch, " (got ",
                     batch_size, ")"));
  }
  return absl::OkStatus();
}

// Opens the iterator's read session; null when the backend has none.
absl::StatusOr<std::shared_ptr<internal::ReadSessionHandle>> OpenSession(
    const std::shared_ptr<Connection>& connection,
    const std::string& collection, const CallOptions& call) {
  auto id = connection->OpenReadSession(collection, call);
  if (absl::IsUnimplemented(id.status())) {
    return std::shared_ptr<internal::ReadSessionHandle>();
  }
  COVE_RETURN_IF_ERROR(id);
  return std::make_shared<internal::ReadSessionHandle>(connection, collection,
                                                       *std::move(id), call);
}

}  // namespace

absl::StatusOr<QueryIterator> Client::NewQueryIterator(
    QueryRequest request, int64_t batch_size, const CallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckBatch(batch_size));
  if (!request.ids.empty()) {
    return absl::InvalidArgumentError(
        "query iterator: ids are not supported (use Get for known ids)");
  }
  if (request.offset != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query iterator: offset must be 0 (got ", request.offset, ")"));
  }
  if (!request.session_id.empty()) {
    return absl::InvalidArgumentError(
        "query iterator: session_id is set by the iterator (got one)");
  }
  for (const auto& [name, value] : request.filter_params) {
    if (name == kCursorParam) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query iterator: filter parameter '", name, "' is reserved"));
    }
  }
  COVE_ASSIGN_OR_RETURN(
      std::string pk,
      PrimaryKeyField(*connection_, request.collection_name, call));
  COVE_ASSIGN_OR_RETURN(
      auto session, OpenSession(connection_, request.collection_name, call));
  const int64_t limit = request.limit;
  QueryIterator it(connection_, std::move(request), std::move(pk), batch_size,
                   call);
  it.session_ = std::move(session);
  if (it.session_ != nullptr) it.request_.session_id = it.session_->id();
  it.remaining_ = limit > 0 ? limit : -1;
  if (it.session_ == nullptr) {
    // No read sessions (Milvus): the server's own query iterator when it
    // has one, as pymilvus does; its first page pins the snapshot.
    uint64_t ts = 0;
    auto page =
        it.connection_->NextServerQueryPage(it.NextPageRequest(), &ts, call);
    if (page.ok()) {
      it.server_ts_ = ts;
      it.first_page_ = *std::move(page);
    } else if (!absl::IsUnimplemented(page.status())) {
      return page.status();
    }
  }
  return it;
}

absl::Status QueryIterator::Close() {
  done_ = true;
  if (session_ == nullptr) return absl::OkStatus();
  return session_->Close();
}

QueryRequest QueryIterator::NextPageRequest() const {
  QueryRequest page = request_;
  page.limit =
      remaining_ >= 0 ? std::min(remaining_, batch_size_) : batch_size_;
  page.offset = 0;
  if (last_key_.has_value()) {
    page.filter = AndFilter(request_.filter,
                            absl::StrCat(pk_field_, " > {", kCursorParam, "}"));
    page.filter_params[kCursorParam] = *last_key_;
  }
  bool has_pk = page.output_fields.empty();
  for (const std::string& f : page.output_fields) {
    has_pk |= f == pk_field_ || f == "*";
  }
  if (!has_pk) page.output_fields.push_back(pk_field_);
  return page;
}

absl::Status QueryIterator::Advance(const std::vector<Row>& rows,
                                    int64_t asked) {
  if (static_cast<int64_t>(rows.size()) < asked) done_ = true;
  if (!rows.empty()) {
    auto key = rows.back().find(pk_field_);
    if (key == rows.back().end()) {
      return absl::InternalError("query iterator: rows lack the primary key");
    }
    last_key_ = key->second;
  }
  if (remaining_ >= 0) {
    remaining_ -= static_cast<int64_t>(rows.size());
    if (remaining_ <= 0) done_ = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Row>> QueryIterator::Next() {
  if (done_) return std::vector<Row>{};
  QueryRequest page = NextPageRequest();
  std::vector<Row> rows;
  if (first_page_.has_value()) {
    rows = std::move(*first_page_);
    first_page_.reset();
  } else if (server_ts_.has_value()) {
    COVE_ASSIGN_OR_RETURN(
        rows, connection_->NextServerQueryPage(page, &*server_ts_, call_));
  } else {
    COVE_ASSIGN_OR_RETURN(rows, connection_->Query(page, call_));
  }
  COVE_RETURN_IF_ERROR(Advance(rows, page.limit));
  return rows;
}

absl::StatusOr<SearchIterator> Client::NewSearchIterator(
    SearchRequest request, int64_t batch_size, int64_t limit,
    const CallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckBatch(batch_size));
  if (request.num_queries() != 1 || (request.vector_values.empty() &&
                                     request.vectors.size() != request.dim)) {
    return absl::InvalidArgumentError(
        absl::StrCat("search iterator: expected exactly one query vector (got ",
                     request.num_queries(), ")"));
  }
  if (request.offset != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search iterator: offset must be 0 (got ", request.offset, ")"));
  }
  if (request.params.count("radius") || request.params.count("range_filter")) {
    return absl::InvalidArgumentError(
        "search iterator: radius and range_filter are set by the iterator");
  }
  if (!request.session_id.empty() || request.search_after.has_value()) {
    return absl::InvalidArgumentError(
        "search iterator: session_id and search_after are set by the "
        "iterator (got one)");
  }
  if (limit == 0 || limit < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search iterator limit: expected -1 (all) or a positive number (got ",
        limit, ")"));
  }
  COVE_ASSIGN_OR_RETURN(
      std::string pk,
      PrimaryKeyField(*connection_, request.collection_name, call));
  COVE_ASSIGN_OR_RETURN(
      std::vector<IndexDescription> indexes,
      connection_->DescribeIndexes(request.collection_name, call));
  std::optional<MetricType> metric = request.metric_type;
  for (const IndexDescription& d : indexes) {
    if (request.anns_field.empty() || d.field_name == request.anns_field) {
      metric = d.metric_type;
    }
  }
  if (!metric.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("search iterator: collection '", request.collection_name,
                     "' has no vector index to tell the metric"));
  }
  COVE_ASSIGN_OR_RETURN(
      auto session, OpenSession(connection_, request.collection_name, call));
  SearchIterator it(connection_, std::move(request), std::move(pk),
                    *metric != MetricType::kL2, batch_size, call);
  it.session_ = std::move(session);
  if (it.session_ != nullptr) it.request_.session_id = it.session_->id();
  it.remaining_ = limit;
  if (it.session_ == nullptr) {
    // No read sessions (Milvus): the server's own iterator when it has one
    // (its first page tells), as pymilvus does; else range-search pages.
    ServerIteratorState state;
    SearchRequest first = it.request_;
    first.limit = batch_size;
    auto page = it.connection_->NextServerIteratorPage(first, &state, call);
    if (page.ok()) {
      it.server_ = std::move(state);
      it.first_page_ = *std::move(page);
    } else if (!absl::IsUnimplemented(page.status())) {
      return page.status();
    }
  }
  return it;
}

absl::StatusOr<std::vector<Hit>> SearchIterator::NextOnServer() {
  std::vector<Hit> hits;
  if (first_page_.has_value()) {
    hits = std::move(*first_page_);
    first_page_.reset();
  } else {
    // Every page asks for the batch size (the iterator's, on the server);
    // a limit cuts the last one here.
    SearchRequest page = request_;
    page.limit = batch_size_;
    COVE_ASSIGN_OR_RETURN(
        hits, connection_->NextServerIteratorPage(page, &*server_, call_));
  }
  if (static_cast<int64_t>(hits.size()) < batch_size_) done_ = true;
  if (remaining_ >= 0) {
    if (static_cast<int64_t>(hits.size()) > remaining_) {
      hits.resize(static_cast<size_t>(remaining_));
    }
    remaining_ -= static_cast<int64_t>(hits.size());
    if (remaining_ <= 0) done_ = true;
  }
  return hits;
}

absl::Status SearchIterator::Close() {
  done_ = true;
  if (session_ == nullptr) return absl::OkStatus();
  return session_->Close();
}

absl::StatusOr<std::vector<Hit>> SearchIterator::Next() {
  if (done_) return std::vector<Hit>{};
  if (server_.has_value()) return NextOnServer();
  SearchRequest page = request_;
  page.limit =
      remaining_ >= 0 ? std::min(remaining_, batch_size_) : batch_size_;
  if (session_ == nullptr) return NextUnpinned(std::move(page));
  // An exact scan of the snapshot for the hits after the last one.
  page.search_after = last_;
  COVE_ASSIGN_OR_RETURN(SearchResults results,
                        connection_->Search(page, call_));
  std::vector<Hit> hits =
      results.hits.empty() ? std::vector<Hit>{} : std::move(results.hits[0]);
  if (static_cast<int64_t>(hits.size()) < page.limit) done_ = true;
  if (!hits.empty()) last_ = SearchCursor{hits.back().distance, hits.back().id};
  if (remaining_ >= 0) {
    remaining_ -= static_cast<int64_t>(hits.size());
    if (remaining_ <= 0) done_ = true;
  }
  return hits;
}

absl::StatusOr<std::vector<Hit>> SearchIterator::NextUnpinned(
    SearchRequest page) {
  if (last_.has_value()) {
    // Milvus range semantics: L2 keeps range_filter <= d < radius; IP and
    // COSINE keep radius < s <= range_filter.
    const float last = last_->distance;
    const float band = Band(last);
    const float start = larger_is_closer_ ? last + band : last - band;
    page.params["range_filter"] = Value(static_cast<double>(start));
    page.params["radius"] =
        Value(larger_is_closer_ ? -static_cast<double>(FLT_MAX)
                                : static_cast<double>(FLT_MAX));
    if (!near_last_.empty()) {
      Value::Array seen;
      for (const auto& [d, id] : near_last_) seen.push_back(id);
      page.filter =
          AndFilter(request_.filter,
                    absl::StrCat(pk_field_, " not in {", kSeenParam, "}"));
      page.filter_params[kSeenParam] = Value(std::move(seen));
    }
  }
  COVE_ASSIGN_OR_RETURN(SearchResults results,
                        connection_->Search(page, call_));
  std::vector<Hit> hits =
      results.hits.empty() ? std::vector<Hit>{} : std::move(results.hits[0]);
  if (static_cast<int64_t>(hits.size()) < page.limit) done_ = true;
  for (const Hit& h : hits) near_last_.emplace_back(h.distance, h.id);
  if (!hits.empty()) {
    last_ = SearchCursor{hits.back().distance, hits.back().id};
    const float edge = hits.back().distance;
    const float band = Band(edge);
    const bool larger = larger_is_closer_;
    near_last_.erase(std::remove_if(near_last_.begin(), near_last_.end(),
                                    [&](const std::pair<float, Value>& e) {
                                      return larger ? e.first > edge + band
                                                    : e.first < edge - band;
                                    }),
                     near_last_.end());
  }
  if (remaining_ >= 0) {
    remaining_ -= static_cast<int64_t>(hits.size());
    if (remaining_ <= 0) done_ = true;
  }
  return hits;
}

}  // namespace cove
