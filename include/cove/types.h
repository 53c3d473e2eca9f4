// Data-plane types of the Cove client: schemas, index specifications,
// requests and results. They mirror Milvus concepts (pymilvus MilvusClient is
// the reference) and are shared by every backend.
#ifndef COVE_INCLUDE_COVE_TYPES_H_
#define COVE_INCLUDE_COVE_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cove/value.h"

namespace cove {

/// Field data types. Numbers match Milvus' schema.DataType.
enum class DataType {
  kNone = 0,
  kBool = 1,
  kInt8 = 2,
  kInt16 = 3,
  kInt32 = 4,
  kInt64 = 5,
  kFloat = 10,
  kDouble = 11,
  kVarChar = 21,
  kArray = 22,
  kJson = 23,
  /// Not supported yet (refused by both backends with Unimplemented).
  kBinaryVector = 100,
  kFloatVector = 101,
  /// Not supported yet (refused by both backends with Unimplemented).
  kFloat16Vector = 102,
  kBFloat16Vector = 103,
  /// Sparse float vectors (Value::Sparse); no dim. Indexes
  /// SPARSE_INVERTED_INDEX and SPARSE_WAND, metric IP.
  kSparseFloatVector = 104,
};

/// "BOOL", "INT64", "FLOAT_VECTOR", ... as Milvus spells them.
const char* DataTypeName(DataType type);

/// Similarity measures. L2 is the squared Euclidean distance (smaller is
/// closer); IP and COSINE are similarities (larger is closer), as in Milvus.
/// BM25 scores a query text against the output field of a BM25 function
/// (larger is closer). BINARY_VECTOR fields take HAMMING (differing bits)
/// and JACCARD (1 - |a & b| / |a | b|), distances (smaller is closer), and
/// with BIN_FLAT SUBSTRUCTURE (rows containing every bit of the query) and
/// SUPERSTRUCTURE (rows whose bits the query contains), whose hits score 0.
enum class MetricType {
  kL2,
  kIP,
  kCosine,
  kBM25,
  kHamming,
  kJaccard,
  kSubstructure,
  kSuperstructure,
};

/// "L2", "IP", "COSINE", "BM25", "HAMMING", "JACCARD", "SUBSTRUCTURE",
/// "SUPERSTRUCTURE".
const char* MetricTypeName(MetricType metric);

/// Vector index types.
enum class IndexType {
  kFlat,
  kIvfFlat,
  kIvfSq8,
  kHnsw,
  kHnswSq,
  kAutoIndex,
  /// SPARSE_FLOAT_VECTOR fields only (metric IP; param drop_ratio_build).
  kSparseInvertedIndex,
  kSparseWand,
  kIvfPq,
  kScann,
  /// A Vamana graph on PQ codes with the float32 rows on disk (build params
  /// max_degree, search_list_size, pq_code_budget_gb_ratio; search param
  /// search_list).
  kDiskAnn,
  /// Scalar indexes, which make filters on the field faster (no metric, no
  /// build parameters): STL_SORT (numeric fields), Trie (VARCHAR), BITMAP
  /// (BOOL, integers, VARCHAR; not the primary key), INVERTED (BOOL,
  /// numbers, VARCHAR). AUTOINDEX on a scalar field picks one.
  kStlSort,
  kTrie,
  kBitmap,
  kInverted,
  /// BINARY_VECTOR fields only: an exact scan of the codes (metrics HAMMING,
  /// JACCARD, SUBSTRUCTURE, SUPERSTRUCTURE; AUTOINDEX on a binary field is
  /// BIN_FLAT), and inverted lists around binary centroids (HAMMING or
  /// JACCARD; build param nlist, search param nprobe).
  kBinFlat,
  kBinIvfFlat,
};

/// "FLAT", "IVF_FLAT", "IVF_SQ8", "HNSW", "HNSW_SQ", "AUTOINDEX",
/// "SPARSE_INVERTED_INDEX", "SPARSE_WAND", "IVF_PQ", "SCANN", "DISKANN",
/// "STL_SORT", "Trie", "BITMAP", "INVERTED".
const char* IndexTypeName(IndexType type);

/// One field of a collection schema.
struct FieldSchema {
  std::string name;
  DataType type = DataType::kNone;
  std::string description;
  bool is_primary_key = false;
  /// Primary key only: the server assigns ids on insert.
  bool auto_id = false;
  /// VARCHAR (and VARCHAR array elements): maximum length in bytes.
  int64_t max_length = 0;
  /// Vector fields: the dimension.
  int64_t dim = 0;
  /// ARRAY fields: the element type and the maximum number of elements.
  DataType element_type = DataType::kNone;
  int64_t max_capacity = 0;
  /// Nullable fields accept null values (and missing keys in row inserts).
  bool nullable = false;
  /// Used when a row omits the field (or gives null for a non-nullable field).
  std::optional<Value> default_value;
  /// Milvus' partition key (one INT64 or VARCHAR field, not the primary
  /// key): rows are spread over CollectionSchema::num_partitions partitions
  /// by this value, and partitions are not named by hand (creating,
  /// dropping or naming partitions in writes and reads is refused). Cove
  /// keeps the rows together, so results are those of any collection.
  bool is_partition_key = false;
  /// Milvus' clustering key (one scalar field): stored and reported; Milvus
  /// uses it to cluster segments on compaction, cove does not.
  bool is_clustering_key = false;
  /// VARCHAR: the text is analyzed into terms (for BM25 functions and
  /// TEXT_MATCH) by `analyzer_params`, Milvus' JSON object:
  /// {"type": "standard"} (Unicode word boundaries, lowercase; the default
  /// when empty), {"type": "english"} (plus English stop words and
  /// stemming), either with "stop_words": [...], or a custom chain
  /// {"tokenizer": "standard"|"whitespace", "filter": [...]} (see
  /// docs/full-text-search.md). Anything else is refused naming it.
  bool enable_analyzer = false;
  std::string analyzer_params;
  /// VARCHAR with enable_analyzer: TEXT_MATCH filters may name the field.
  bool enable_match = false;
  /// Filled by a function of the schema (a BM25 output): rows never give
  /// it. Set when the schema is created from CollectionSchema::functions.
  bool is_function_output = false;
  /// Milvus field properties stored and reported (DescribeCollection shows
  /// them among the field's type params): "mmap.enabled" ("true" or
  /// "false"; cove maps rows by itself). Set at creation or by
  /// Connection::AlterCollectionField.
  std::map<std::string, std::string> properties;
};

/// Function kinds of a schema (Milvus' FunctionType numbers).
enum class FunctionType { kUnknown = 0, kBM25 = 1 };

/// A function of a collection schema: BM25 reads one VARCHAR field with
/// enable_analyzer and fills one SPARSE_FLOAT_VECTOR field with the text's
/// term frequencies at insert (clients do not send that field); a search
/// of the output field takes query texts (SearchRequest::texts) and scores
/// them by BM25 (metric BM25, index SPARSE_INVERTED_INDEX or SPARSE_WAND).
struct FunctionSchema {
  std::string name;
  std::string description;
  FunctionType type = FunctionType::kBM25;
  std::vector<std::string> input_field_names;
  std::vector<std::string> output_field_names;
  /// BM25 takes none.
  std::map<std::string, std::string> params;
};

/// Milvus' consistency levels (the numbers of its ConsistencyLevel enum).
/// Cove's engine is strongly consistent: every read sees every write
/// acknowledged before it, whatever the level; the level is stored with the
/// collection and reported back as given.
enum class ConsistencyLevel {
  kStrong = 0,
  kSession = 1,
  kBounded = 2,
  kEventually = 3,
  kCustomized = 4
};

/// "Strong", "Session", "Bounded", "Eventually", "Customized".
const char* ConsistencyLevelName(ConsistencyLevel level);

/// A collection schema: fields, and whether unknown row keys are kept as
/// dynamic fields (stored in the hidden JSON field "$meta"); plus the
/// collection's settings that are stored with it.
struct CollectionSchema {
  std::vector<FieldSchema> fields;
  bool enable_dynamic_field = false;
  std::string description;
  /// The default consistency level of reads (stored and reported; see
  /// ConsistencyLevel).
  ConsistencyLevel consistency_level = ConsistencyLevel::kStrong;
  /// Collection properties, Milvus keys and string values
  /// ("collection.ttl.seconds", "mmap.enabled", ...): stored and reported;
  /// docs/compatibility.md says which ones take effect.
  std::map<std::string, std::string> properties;
  /// With a partition key field: the number of partitions Milvus spreads
  /// the rows over (1 to 1024; 0 at creation: 16). 0 without a partition
  /// key.
  int64_t num_partitions = 0;
  /// Functions (BM25) that fill output fields at insert; their output
  /// fields are marked is_function_output.
  std::vector<FunctionSchema> functions;

  /// Appends a field and returns *this, for chaining.
  CollectionSchema& AddField(FieldSchema field) {
    fields.push_back(std::move(field));
    return *this;
  }
  /// Appends a function and returns *this, for chaining.
  CollectionSchema& AddFunction(FunctionSchema function) {
    functions.push_back(std::move(function));
    return *this;
  }
};

/// An index to create on a vector field.
struct IndexSpec {
  std::string field_name;
  /// Defaults to the field name.
  std::string index_name;
  IndexType index_type = IndexType::kAutoIndex;
  MetricType metric_type = MetricType::kCosine;
  /// Build parameters, Milvus names: "M", "efConstruction" (HNSW),
  /// "nlist" (IVF), "m", "nbits" (IVF_PQ), "with_raw_data" (SCANN).
  std::map<std::string, std::string> params;
};

/// Options of the quick form of CreateCollection: an "id" primary key, a
/// "vector" field of the given dimension, dynamic fields on, and an AUTOINDEX
/// with the given metric; the collection is loaded.
struct QuickCollectionOptions {
  MetricType metric_type = MetricType::kCosine;
  std::string primary_field_name = "id";
  std::string vector_field_name = "vector";
  /// INT64 or VARCHAR.
  DataType id_type = DataType::kInt64;
  int64_t max_length = 65535;
  bool auto_id = false;
  /// As CollectionSchema::consistency_level and ::properties.
  ConsistencyLevel consistency_level = ConsistencyLevel::kStrong;
  std::map<std::string, std::string> properties;
};

/// Options of LoadCollection: Milvus' partial load.
struct LoadOptions {
  /// The fields to load (Milvus' load_fields); empty: every field. They
  /// must include the primary key, a vector field, and the partition and
  /// clustering keys. Searches and queries then see only these fields: an
  /// output field, filter, anns_field or group_by_field naming another is
  /// InvalidArgument, and "*" means the loaded fields.
  std::vector<std::string> load_fields;
  /// Milvus' skip_load_dynamic_field: dynamic keys are not served.
  bool skip_load_dynamic_field = false;
};

/// What DescribeCollection returns.
struct CollectionDescription {
  std::string name;
  int64_t collection_id = 0;
  CollectionSchema schema;
  std::vector<std::string> aliases;
  std::vector<std::string> partitions;
  /// Creation time, Unix microseconds (Milvus reports it as a hybrid
  /// timestamp, milliseconds << 18; the remote backend converts it).
  int64_t created_timestamp = 0;
  int32_t num_shards = 1;
};

/// What DescribeDatabase returns.
struct DatabaseDescription {
  std::string name;
  /// Stable for the life of the database.
  int64_t id = 0;
  /// Creation time, Unix milliseconds.
  int64_t created_timestamp = 0;
  /// Database properties, Milvus keys ("database.max.collections",
  /// "database.replica.number", ...).
  std::map<std::string, std::string> properties;
};

/// One segment of a collection, as Milvus' segment information reports it.
struct SegmentDescription {
  int64_t id = 0;
  /// Sealed segments take no more writes; the growing one does.
  bool sealed = false;
  /// Rows stored, deleted ones included; `deleted` of them are deleted.
  int64_t rows = 0;
  int64_t deleted = 0;
  /// Every vector field of the segment has its index built.
  bool indexed = false;
  /// Bytes held in memory (and in mapped files).
  int64_t memory_bytes = 0;
};

/// Load states, as Milvus' LoadState.
enum class LoadState { kNotExist, kNotLoaded, kLoading, kLoaded };

/// A typed column of an insert: either generic values (one per row), or, for
/// float vectors, `dim` floats per row in one contiguous row-major array.
struct Column {
  std::string name;
  std::vector<Value> values;
  std::vector<float> float_vectors;
  size_t dim = 0;

  /// A float-vector column from row-major data (n x dim).
  static Column FloatVectors(std::string name, size_t dim,
                             std::vector<float> data) {
    Column c;
    c.name = std::move(name);
    c.dim = dim;
    c.float_vectors = std::move(data);
    return c;
  }
  /// A scalar column.
  static Column Scalars(std::string name, std::vector<Value> values) {
    Column c;
    c.name = std::move(name);
    c.values = std::move(values);
    return c;
  }
  /// Rows in the column.
  size_t size() const {
    return dim > 0 ? float_vectors.size() / dim : values.size();
  }
};

/// Data for Insert/Upsert: rows, or columns (all of the same length); not both.
struct InsertRequest {
  std::string collection_name;
  std::string partition_name;
  std::vector<Row> rows;
  std::vector<Column> columns;
};

/// Result of Insert/Upsert/Delete.
struct MutationResult {
  /// Rows inserted (or upserted, or deleted).
  int64_t count = 0;
  /// Primary keys of the affected rows, in input order (Insert/Upsert).
  std::vector<Value> ids;
};

/// Delete by primary keys or by filter (one of the two).
struct DeleteRequest {
  std::string collection_name;
  std::string partition_name;
  std::vector<Value> ids;
  std::string filter;
  std::map<std::string, Value> filter_params;
};

/// A position in the (distance, primary key) order of a read-session search:
/// the last hit returned so far.
struct SearchCursor {
  /// The hit's raw metric value, exactly as returned.
  float distance = 0.0f;
  /// The hit's primary key (INT64 or VARCHAR, as the schema).
  Value id;
};

/// Where a server's own search iterator is (Milvus' search_iter_v2, what
/// pymilvus' search_iterator drives; Connection::NextServerIteratorPage).
struct ServerIteratorState {
  /// Empty before the first page; then the token the server gave it.
  std::string token;
  /// The distance at which the last page ended (unset before the first).
  std::optional<float> last_bound;
  /// The server's timestamp of the first page, sent back as the guarantee
  /// timestamp of the next ones (Milvus then reads the collection as of the
  /// first page); 0 before the first page.
  uint64_t session_ts = 0;
};

/// A search: one or more query vectors against one vector field.
struct SearchRequest {
  std::string collection_name;
  std::vector<std::string> partition_names;
  /// Query vectors, row-major, nq x dim.
  std::vector<float> vectors;
  size_t dim = 0;
  /// Or, for a SPARSE_FLOAT_VECTOR anns_field, sparse query vectors (then
  /// `vectors` is empty). Search param "drop_ratio_search" in [0, 1) leaves
  /// out that fraction of each query's smallest weights.
  std::vector<SparseVector> sparse_vectors;
  /// Or, for a FLOAT16_VECTOR or BFLOAT16_VECTOR anns_field: one value of the
  /// field's kind per query (Value::Float16Vector, Value::BFloat16Vector),
  /// searched as given (then `vectors` is empty). Such fields also take
  /// float32 `vectors`, rounded to the field's type.
  std::vector<Value> vector_values;
  /// Or, for the output field of a BM25 function, query texts (full-text
  /// search, metric BM25): analyzed as the input field is. Search params
  /// "bm25_k1" (0 to 3), "bm25_b" (0 to 1) override the index's, and
  /// "drop_ratio_search" leaves out the smallest query term weights.
  std::vector<std::string> texts;
  /// The vector field to search; may be empty when the collection has one.
  std::string anns_field;
  int64_t limit = 10;
  int64_t offset = 0;
  /// A Milvus boolean expression; empty means all rows.
  std::string filter;
  /// Values for {name} placeholders in the filter.
  std::map<std::string, Value> filter_params;
  std::vector<std::string> output_fields;
  /// Empty means the index's metric; a mismatch is InvalidArgument.
  std::optional<MetricType> metric_type;
  /// "ef" (HNSW), "nprobe" (IVF), "radius", "range_filter".
  std::map<std::string, Value> params;
  /// Reads the snapshot pinned by a read session (Connection::OpenReadSession)
  /// instead of the current state; empty: the current state. A session
  /// search is an exact scan of the pinned rows (no index is used: O(rows x
  /// dim) per query), with hits ordered by distance, closest first, and
  /// equal distances by primary key, ascending. `ef` and `nprobe` are then
  /// ignored; radius and range_filter apply.
  std::string session_id;
  /// With session_id only: just the hits after this one in that order (the
  /// cursor of SearchIterator). InvalidArgument without a session.
  std::optional<SearchCursor> search_after;
  /// Grouping search (Milvus' group_by_field): the name of a BOOL,
  /// INT8..INT64 or VARCHAR field; empty: no grouping. Hits are grouped by
  /// the field's value (nulls form one group): `limit` counts groups and
  /// `offset` skips groups, each group holds up to `group_size` hits, closest
  /// first, and groups come in the order of their closest hit. Every hit
  /// carries its group's value (Hit::group_by_value). Not with session_id.
  std::string group_by_field;
  /// Hits per group (1 to 16384), with group_by_field only.
  int64_t group_size = 1;
  /// Fill every group up to group_size when the rows allow it (slower);
  /// otherwise a group may hold fewer hits than a complete scan would give.
  bool strict_group_size = false;

  /// Number of query vectors.
  size_t num_queries() const {
    if (!sparse_vectors.empty()) return sparse_vectors.size();
    if (!texts.empty()) return texts.size();
    if (!vector_values.empty()) return vector_values.size();
    return dim == 0 ? 0 : vectors.size() / dim;
  }
};

/// One search hit.
struct Hit {
  Value id;
  /// Raw metric value: squared L2, inner product or cosine similarity.
  float distance = 0.0f;
  /// The requested output fields (and the primary key).
  Row entity;
  /// Grouping searches: the value of SearchRequest::group_by_field (null
  /// otherwise, or for the group of nulls).
  Value group_by_value;
};

/// Hits per query vector, closest first.
struct SearchResults {
  std::vector<std::vector<Hit>> hits;
};

/// How a hybrid search fuses the hits of its searches (Milvus' rankers).
///   RRF: score = sum over searches of 1 / (k + rank), rank counting from 1
///     in each search's hits.
///   Weighted: score = sum of weight_i * normalized score_i, one weight per
///     search; with norm_score, scores are mapped to [0, 1] by metric as
///     Milvus does: COSINE (1 + s) / 2, IP 0.5 + atan(s) / pi, BM25
///     2 atan(s) / pi, L2 1 - 2 atan(d) / pi (closer is larger); without it
///     the raw scores (L2 distances negated, so that larger is closer).
struct Ranker {
  enum class Kind { kRRF, kWeighted };
  Kind kind = Kind::kRRF;
  /// RRF: k > 0 (Milvus: (0, 16384); default 60).
  double k = 60;
  /// Weighted: one weight in [0, 1] per search.
  std::vector<double> weights;
  bool norm_score = true;

  static Ranker RRF(double k = 60) {
    Ranker r;
    r.k = k;
    return r;
  }
  static Ranker Weighted(std::vector<double> weights, bool norm_score = true) {
    Ranker r;
    r.kind = Kind::kWeighted;
    r.weights = std::move(weights);
    r.norm_score = norm_score;
    return r;
  }
};

/// A hybrid search (Milvus' HybridSearch): several searches of one
/// collection (each an AnnSearchRequest: its own vector field, query data,
/// filter, params and limit; the same number of queries in each), their
/// hits fused per query by `ranker` (each row once), best first, then
/// [offset, offset + limit) of them with `output_fields`. Hit::distance is
/// the fused score. The searches' collection_name, partition_names,
/// output_fields and offset are taken from here.
///
/// Grouping (Milvus 2.5's hybrid group-by): with `group_by_field`, each
/// search is a grouping search by that field (its own limit counting
/// groups, up to `group_size` hits each, `strict_group_size`); the fused
/// rows are then bucketed by their group's value, best rows first, each
/// group keeping its `group_size` best; a group's score is its best row's
/// (`group_scorer` "max"), the sum of its rows' ("sum") or their mean
/// ("avg"); groups come best first (equal scores: the larger group, then
/// the smaller first key), `offset` skips groups and `limit` counts them,
/// and every hit carries its group's value (Hit::group_by_value).
struct HybridSearchRequest {
  std::string collection_name;
  std::vector<std::string> partition_names;
  std::vector<SearchRequest> requests;
  Ranker ranker;
  int64_t limit = 10;
  int64_t offset = 0;
  std::vector<std::string> output_fields;
  std::string group_by_field;
  int64_t group_size = 1;
  bool strict_group_size = false;
  /// "max" (Milvus' default), "sum" or "avg".
  std::string group_scorer = "max";
};

/// A query: rows matching a filter (or given ids). Results of a filter query
/// come in primary-key order; a query by ids returns rows in the order of
/// the ids (missing ids are skipped).
struct QueryRequest {
  std::string collection_name;
  std::vector<std::string> partition_names;
  std::string filter;
  std::map<std::string, Value> filter_params;
  std::vector<Value> ids;
  /// Field names; "*" means all; "count(*)" returns one row {"count(*)": n}.
  std::vector<std::string> output_fields;
  /// 0 means no limit (a filter is then required, as in Milvus).
  int64_t limit = 0;
  int64_t offset = 0;
  /// Reads the snapshot pinned by a read session (Connection::OpenReadSession)
  /// instead of the current state; empty: the current state.
  std::string session_id;
};

/// Collection statistics.
struct CollectionStats {
  int64_t row_count = 0;
};

/// Description of an index as created.
struct IndexDescription {
  std::string index_name;
  std::string field_name;
  IndexType index_type = IndexType::kAutoIndex;
  MetricType metric_type = MetricType::kCosine;
  std::map<std::string, std::string> params;
  /// Index properties, Milvus keys ("mmap.enabled"): stored and reported
  /// (see Connection::AlterIndexProperties).
  std::map<std::string, std::string> properties;
  /// Live rows that searches serve from the index.
  int64_t indexed_rows = 0;
  int64_t total_rows = 0;
  /// Live rows not indexed yet (searched exactly until their index is
  /// built): total_rows - indexed_rows.
  int64_t pending_index_rows = 0;
  /// "Finished" (every row is searched through the index), "InProgress",
  /// "Failed".
  std::string state;
};

/// What DescribeAlias returns.
struct AliasDescription {
  std::string alias;
  std::string collection;
  std::string db_name;
};

/// A database user and the roles granted to it.
struct UserInfo {
  std::string name;
  std::vector<std::string> roles;
};

/// A role and the users that hold it.
struct RoleInfo {
  std::string name;
  std::vector<std::string> users;
};

/// A privilege granted to a role on an object, Milvus style: object_type is
/// "Global", "Collection" or "User"; object_name is a name or "*";
/// privilege is a Milvus privilege name ("Search", "Insert",
/// "CreateCollection", "All", ...).
struct Grant {
  std::string role;
  std::string object_type;
  std::string object_name;
  std::string privilege;
  std::string db_name;
  std::string grantor;
};

}  // namespace cove

#endif  // COVE_INCLUDE_COVE_TYPES_H_
