// Conversions between Cove's data-plane types and the Milvus v2 protos.
//
// One function each way per message family, shared by the remote backend
// (src/remote) and the server (src/server), so that both ends agree on every
// wire fact a Milvus client relies on:
//   - schemas: DataType numbers match, `dim`/`max_length`/`max_capacity` in
//     type_params; the dynamic field `$meta` is flagged is_dynamic and never
//     listed in a described schema;
//   - rows <-> FieldData columns: float vectors as one row-major array,
//     dynamic keys as a `$meta` JSON column flagged is_dynamic;
//   - searches: a serialized PlaceholderGroup (tag `$0`, FloatVector = 101,
//     one little-endian float32 byte string per query) and key/value
//     search_params (`anns_field`, `topk`, `offset`, `metric_type`, `params`);
//   - results: `topks` per query, ids and scores flattened query-major,
//     fields_data including the primary key;
//   - absl::Status <-> common.Status, both legacy error_code and numeric code.
#ifndef COVE_SRC_MILVUS_CONVERT_H_
#define COVE_SRC_MILVUS_CONVERT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common.pb.h"
#include "common/utf8.h"  // ValidUtf8: messages quoting input
#include "cove/types.h"
#include "cove/value.h"
#include "milvus.pb.h"
#include "schema.pb.h"

namespace cove::internal {

namespace milvus_pb = ::milvus::proto::milvus;
namespace common_pb = ::milvus::proto::common;
namespace schema_pb = ::milvus::proto::schema;

/// The hidden JSON field that keeps the dynamic keys of a row.
inline constexpr char kMetaFieldName[] = "$meta";

/// Read sessions on the wire (a cove extension; Milvus ignores these keys):
///   - open: a Query with query_params {kCoveReadSessionKey: "open"}; the
///     reply carries the id in session_ts and in the status' extra_info
///     under kCoveSessionIdKey (its absence: the server has no sessions);
///   - close: a Query with {kCoveReadSessionKey: "close",
///     kCoveSessionIdKey: id};
///   - reads: Query query_params / Search search_params
///     {kCoveSessionIdKey: id}; a search cursor adds kCoveSearchAfterDistance
///     (a C99 hex float, exact) and kCoveSearchAfterId (the key as JSON).
inline constexpr char kCoveReadSessionKey[] = "cove_read_session";
inline constexpr char kCoveSessionIdKey[] = "cove_session_id";
inline constexpr char kCoveSearchAfterDistance[] = "cove_search_after_distance";
inline constexpr char kCoveSearchAfterId[] = "cove_search_after_id";
/// The output field of a counting query.
inline constexpr char kCountStar[] = "count(*)";
/// Key of common.Status.extra_info carrying the exact absl code between two
/// Cove peers (other peers ignore it; then the numeric code decides).
inline constexpr char kCoveCodeKey[] = "cove_code";

// --- status -----------------------------------------------------------------

/// An absl::Status as a common.Status with both the legacy error_code and the
/// numeric code set (see the table in convert.cc), the message in `reason`,
/// `retriable` for Unavailable, and the absl code in extra_info[cove_code].
common_pb::Status StatusToProto(const absl::Status& status);

/// A common.Status as an absl::Status: OK when both codes are 0; otherwise
/// extra_info[cove_code] when present, else the numeric code, else the legacy
/// error_code, mapped back by the same table.
absl::Status StatusFromProto(const common_pb::Status& status);

/// The Status of a write built against a stale schema (FailedPrecondition;
/// on the wire Milvus SchemaMismatch: legacy 62, code 108).
absl::Status SchemaMismatchError(const std::string& collection);

/// True when `status` is a schema mismatch (made by SchemaMismatchError, or
/// received from a peer with code 108 / legacy 62).
bool IsSchemaMismatch(const absl::Status& status);

/// The Milvus numeric code a Status travels with (see the table in
/// convert.cc); statuses made by StatusFromProto keep the peer's code.
int32_t MilvusCode(const absl::Status& status);

// --- enums ------------------------------------------------------------------

schema_pb::DataType DataTypeToProto(DataType type);
/// InvalidArgument for data types Cove does not support (sparse, binary...).
absl::StatusOr<DataType> DataTypeFromProto(schema_pb::DataType type);

/// "L2", "IP", "COSINE" (case-insensitive). InvalidArgument otherwise.
absl::StatusOr<MetricType> ParseMetricType(std::string_view name);
/// "FLAT", "IVF_FLAT", "IVF_SQ8", "IVF_PQ", "SCANN", "DISKANN", "HNSW",
/// "HNSW_SQ", "AUTOINDEX" (or empty, meaning AUTOINDEX), case-insensitive.
/// InvalidArgument otherwise.
absl::StatusOr<IndexType> ParseIndexType(std::string_view name);

common_pb::LoadState LoadStateToProto(LoadState state);
LoadState LoadStateFromProto(common_pb::LoadState state);

// --- schemas ----------------------------------------------------------------

/// A Cove schema as a Milvus CollectionSchema named `name`. Field ids start at
/// 100; `$meta` is not listed (enable_dynamic_field says it exists).
schema_pb::CollectionSchema SchemaToProto(const std::string& name,
                                          const CollectionSchema& schema);
/// A Milvus CollectionSchema as a Cove schema; fields flagged is_dynamic (the
/// `$meta` field some clients list) are dropped and turn dynamic fields on.
/// InvalidArgument for unsupported types or malformed type_params.
absl::StatusOr<CollectionSchema> SchemaFromProto(
    const schema_pb::CollectionSchema& proto);

/// The parts of a CreateCollection request that cove does not implement,
/// refused by name (Unimplemented): partition keys and num_partitions,
/// clustering keys, functions, unknown field type params, schema properties.
absl::Status CheckCreateCollectionSupported(
    const milvus_pb::CreateCollectionRequest& request);

/// DescribeCollection: description <-> response (status untouched).
/// A collection's creation time (CollectionDescription::created_timestamp,
/// Unix microseconds) as the hybrid timestamp Milvus reports in
/// created_timestamp / update_timestamp (and clients send back as
/// schema_timestamp): milliseconds in the physical part, the microseconds
/// below them in the logical part; and back (a logical part of 1,000 or
/// more, a real Milvus counter, adds nothing).
uint64_t CollectionHybridTs(int64_t created_micros);
int64_t CollectionCreatedMicros(uint64_t hybrid_ts);

void DescriptionToProto(const CollectionDescription& description,
                        milvus_pb::DescribeCollectionResponse* out);
absl::StatusOr<CollectionDescription> DescriptionFromProto(
    const milvus_pb::DescribeCollectionResponse& proto);

// --- values, rows and columns -----------------------------------------------

/// Rows of an insert as FieldData columns, one per schema field (the primary
/// key is left out when auto_id), plus a `$meta` JSON column flagged
/// is_dynamic when the schema has dynamic fields. Missing values of nullable
/// fields or fields with defaults are marked invalid in valid_data.
/// InvalidArgument naming the row and field for missing or mistyped values,
/// wrong vector dimensions and unknown fields.
absl::Status InsertRowsToFieldData(
    const CollectionSchema& schema, const std::vector<Row>& rows,
    google::protobuf::RepeatedPtrField<schema_pb::FieldData>* out);

/// Result entities (query rows, search hits) as FieldData columns: the
/// primary key, the schema fields present in any row or named in
/// `output_fields`, a `$meta` column with the remaining keys when the schema
/// is dynamic, and an INT64 `count(*)` column when present.
absl::Status EntitiesToFieldData(
    const CollectionSchema& schema, const std::vector<const Row*>& rows,
    const std::vector<std::string>& output_fields,
    google::protobuf::RepeatedPtrField<schema_pb::FieldData>* out);

/// FieldData columns as rows. Dynamic (`$meta`) columns are spread into the
/// row's keys. Entries marked invalid in valid_data are left out when
/// `omit_nulls` (inserts: the engine applies defaults), else set to null.
/// InvalidArgument when the columns differ in length or hold malformed data.
absl::StatusOr<std::vector<Row>> FieldDataToRows(
    const google::protobuf::RepeatedPtrField<schema_pb::FieldData>& columns,
    bool omit_nulls);

/// Primary keys <-> IDs (int64 or strings; an empty list stays int64).
void IdsToProto(const std::vector<Value>& ids, schema_pb::IDs* out);
std::vector<Value> IdsFromProto(const schema_pb::IDs& ids);

/// Filter template values.
absl::StatusOr<schema_pb::TemplateValue> TemplateValueToProto(
    const Value& value);
Value TemplateValueFromProto(const schema_pb::TemplateValue& value);

/// A filter selecting primary keys: `pk in [1, 2]` (strings JSON-quoted),
/// ANDed with `filter` when it is not empty. InvalidArgument when an id has
/// the wrong type for the key.
absl::StatusOr<std::string> IdsFilter(const FieldSchema& primary_key,
                                      const std::vector<Value>& ids,
                                      const std::string& filter);

// --- writes -----------------------------------------------------------------

/// Insert/Upsert/Delete results. `kind` is "insert", "upsert" or "delete".
void MutationResultToProto(const MutationResult& result, std::string_view kind,
                           milvus_pb::MutationResult* out);
MutationResult MutationResultFromProto(const milvus_pb::MutationResult& proto,
                                       std::string_view kind);

// --- searches and queries ---------------------------------------------------

/// A search request (collection and db names are set by the caller).
/// InvalidArgument for vectors that do not fill whole queries, or filter
/// values that cannot be sent.
absl::Status SearchRequestToProto(const SearchRequest& request,
                                  milvus_pb::SearchRequest* out);
/// Milvus' search iterator keys (search iterator v2, as pymilvus 2.5 and the
/// Node SDK send them, at the top level of search_params or inside its
/// `params` JSON).
struct SearchIteratorKeys {
  /// "iterator": true (both iterator versions mark their searches so).
  bool iterator = false;
  /// "search_iter_v2": true.
  bool v2 = false;
  /// "search_iter_batch_size"; 0 when absent.
  int64_t batch_size = 0;
  /// "search_iter_last_bound": the distance of the last hit of the page
  /// before, as the server returned it.
  std::optional<float> last_bound;
  /// "search_iter_id": the token the first page returned.
  std::string token;
  /// "guarantee_timestamp" inside `params` (the Node SDK puts it there).
  std::optional<uint64_t> guarantee_timestamp;
};

/// InvalidArgument for a malformed placeholder group or search params.
/// Without `iterator` the search iterator keys are refused by name; with it
/// they are read into it.
absl::StatusOr<SearchRequest> SearchRequestFromProto(
    const milvus_pb::SearchRequest& proto,
    SearchIteratorKeys* iterator = nullptr);

/// Search results: topks per query, ids/scores query-major, fields_data with
/// the primary key and the entities' fields.
/// HybridSearch: each search a SearchRequest; rank_params as pymilvus
/// sends them (strategy "rrf" or "weighted", params JSON {"k": 60} or
/// {"weights": [...], "norm_score": true}, limit, offset, round_decimal).
absl::Status HybridSearchRequestToProto(const HybridSearchRequest& request,
                                        milvus_pb::HybridSearchRequest* out);
absl::StatusOr<HybridSearchRequest> HybridSearchRequestFromProto(
    const milvus_pb::HybridSearchRequest& proto);
absl::Status SearchResultsToProto(const SearchResults& results,
                                  const CollectionSchema& schema,
                                  const SearchRequest& request,
                                  milvus_pb::SearchResults* out);
absl::StatusOr<SearchResults> SearchResultsFromProto(
    const milvus_pb::SearchResults& proto);

/// A query (ids must already be folded into the filter with IdsFilter).
absl::Status QueryRequestToProto(const QueryRequest& request,
                                 milvus_pb::QueryRequest* out);
absl::StatusOr<QueryRequest> QueryRequestFromProto(
    const milvus_pb::QueryRequest& proto);

/// True for a query of Milvus' query iterator (query_params iterator=True):
/// its pages must come in primary key order.
bool QueryWantsKeyOrder(const milvus_pb::QueryRequest& proto);

absl::Status QueryResultsToProto(const std::vector<Row>& rows,
                                 const CollectionSchema& schema,
                                 const QueryRequest& request,
                                 milvus_pb::QueryResults* out);
absl::StatusOr<std::vector<Row>> QueryResultsFromProto(
    const milvus_pb::QueryResults& proto);

/// Delete: ids must already be folded into the filter with IdsFilter.
absl::Status DeleteRequestToProto(const DeleteRequest& request,
                                  milvus_pb::DeleteRequest* out);
DeleteRequest DeleteRequestFromProto(const milvus_pb::DeleteRequest& proto);

// --- indexes ----------------------------------------------------------------

/// Index parameters as CreateIndex extra_params: `index_type`,
/// `metric_type` and `params` (a JSON object; numeric strings as numbers).
void IndexSpecToProto(const IndexSpec& spec,
                      milvus_pb::CreateIndexRequest* out);
/// Reads `index_type`, `metric_type`, `params` (JSON) and any other key as a
/// build parameter (older clients send "M" or "nlist" directly).
absl::StatusOr<IndexSpec> IndexSpecFromProto(
    const milvus_pb::CreateIndexRequest& proto);

void IndexDescriptionToProto(const IndexDescription& description,
                             milvus_pb::IndexDescription* out);
absl::StatusOr<IndexDescription> IndexDescriptionFromProto(
    const milvus_pb::IndexDescription& proto);

// --- RBAC -------------------------------------------------------------------

void GrantToProto(const Grant& grant, milvus_pb::GrantEntity* out);
Grant GrantFromProto(const milvus_pb::GrantEntity& proto);

// --- misc -------------------------------------------------------------------

/// Looks up a key in a key/value list; empty when absent.
std::string FindKeyValue(
    const google::protobuf::RepeatedPtrField<common_pb::KeyValuePair>& kvs,
    std::string_view key);

/// Standard base64 (with padding), as Milvus uses for credentials.
std::string Base64Encode(std::string_view data);
/// InvalidArgument for malformed input.
absl::StatusOr<std::string> Base64Decode(std::string_view data);

}  // namespace cove::internal

#endif  // COVE_SRC_MILVUS_CONVERT_H_
