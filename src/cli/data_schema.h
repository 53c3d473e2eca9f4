// Values, schemas and rows of `cove data`: JSON to and from cove::Value,
// output of rows and float32 numbers, collection schemas as JSON (what
// `collections describe -o json` prints and `collections create --schema`
// reads), and the typing of rows read from files by the collection's schema.
//
// Every error is InvalidArgument and names where it happened ("rows.csv:12",
// the field), what was expected and what came.
#ifndef COVE_SRC_CLI_DATA_SCHEMA_H_
#define COVE_SRC_CLI_DATA_SCHEMA_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/output.h"
#include "cove/types.h"
#include "cove/value.h"

namespace cove::cli {

// ---- values and JSON -----------------------------------------------------

/// A JSON value as a cove::Value: integers that fit int64 stay integers,
/// other numbers become doubles. InvalidArgument (naming `where`) for arrays
/// and objects nested deeper than Value::kMaxJsonDepth.
absl::StatusOr<Value> ValueFromJson(const Json& j, const std::string& where);

/// Parses JSON text into a Value. InvalidArgument "WHERE: invalid JSON at
/// line L, column C: ..." naming `where`.
absl::StatusOr<Value> ParseJsonValue(std::string_view text,
                                     const std::string& where);

/// A Value as JSON for output. Float vectors (float32) are written with the
/// shortest decimals that read back as the same float32 (0.1, not
/// 0.10000000149011612); so are doubles when `float32` (FLOAT fields).
/// Non-finite numbers become null.
Json ValueToJson(const Value& v, bool float32 = false);

/// A short, printable description for messages: a value's JSON text (a
/// float vector as "a vector of N"), a string quoted; cut at 40 characters.
std::string Brief(const Value& v);
std::string Brief(const std::string& s);

/// A float32 as the double with the shortest decimal form that rounds back
/// to it.
double ShortestDouble(float f);

/// A row for output: the schema's fields in schema order (FLOAT fields as
/// float32), then the other keys (dynamic fields) in name order.
Json RowToJson(const Row& row, const CollectionSchema* schema);

/// A JSON value for a table cell: arrays longer than eight elements (vectors)
/// cut to their first four elements and a "...(N)" marker, so that Cell()
/// shows "0.1,0.2,0.3,0.4,...(768)".
Json Abbreviate(const Json& value);

// ---- schemas -------------------------------------------------------------

/// Parses "INT64", "varchar", "FLOAT_VECTOR", ... (case-insensitive).
absl::StatusOr<DataType> ParseDataType(const std::string& text,
                                       const std::string& where);
absl::StatusOr<MetricType> ParseMetricType(const std::string& text,
                                           const std::string& where);
absl::StatusOr<IndexType> ParseIndexType(const std::string& text,
                                         const std::string& where);
/// "NotExist", "NotLoaded", "Loading", "Loaded" (pymilvus' LoadState names).
const char* LoadStateName(LoadState state);

/// A collection as `collections describe -o json` prints it (and
/// `collections create --schema` reads it back): name, collection_id,
/// description, fields, functions, num_partitions, enable_dynamic_field,
/// consistency_level, properties, aliases, partitions, created_timestamp,
/// num_shards; plus `indexes` and
/// `load_state` when given.
Json CollectionToJson(const CollectionDescription& d,
                      const std::vector<IndexDescription>* indexes,
                      std::optional<LoadState> load_state);
Json FieldToJson(const FieldSchema& f);
Json IndexToJson(const IndexDescription& d);

/// A schema and indexes from the JSON of `collections describe -o json`:
/// `fields` (required) with name, type, is_primary_key, auto_id,
/// max_length, dim, element_type, max_capacity, nullable, default_value,
/// description, is_partition_key, is_clustering_key, enable_analyzer,
/// analyzer_params (an object, or its JSON text), enable_match,
/// is_function_output, properties; enable_dynamic_field, description,
/// consistency_level, properties, num_partitions, `functions` (BM25: name,
/// description, type, input_field_names, output_field_names, params);
/// `indexes` with field_name, index_name, index_type, metric_type, params. The
/// output-only keys of describe are accepted and ignored; any other key is
/// refused, naming it.
struct SchemaFile {
  CollectionSchema schema;
  std::vector<IndexSpec> indexes;
};
absl::StatusOr<SchemaFile> ParseSchemaJson(std::string_view text,
                                           const std::string& where);

// ---- rows ----------------------------------------------------------------

/// Checks a row read from a file against the schema and converts its values
/// to the field types: integers (range-checked for INT8..INT32; doubles with
/// a fraction refused), finite numbers for FLOAT/DOUBLE, strings for
/// VARCHAR (max_length in bytes), arrays of the element type for ARRAY
/// (max_capacity), arrays of `dim` finite numbers for FLOAT_VECTOR (made a
/// float vector), any JSON for JSON fields. Keys not in the schema are
/// dynamic fields (refused without a dynamic field); a "$meta" object is
/// merged into the row as dynamic fields. Refuses a value for an auto_id
/// primary key, a missing primary key, and missing or null values of fields
/// that are neither nullable nor have a default. `where` starts every
/// message ("rows.jsonl:7").
absl::Status CoerceRow(const CollectionSchema& schema, Row& row,
                       const std::string& where);

/// The primary key field of `schema` (nullptr when it has none).
const FieldSchema* PrimaryField(const CollectionSchema& schema);
/// Whether `type` is a vector type (FLOAT, FLOAT16, BFLOAT16, BINARY or
/// SPARSE_FLOAT).
bool IsVectorType(DataType type);

/// The vector field named `name`, or the only one when `name` is empty.
/// InvalidArgument naming `flag` when there is none, several, or no such
/// field.
absl::StatusOr<const FieldSchema*> VectorField(const CollectionSchema& schema,
                                               const std::string& name,
                                               const std::string& flag);

/// A primary key from the command line: an integer for INT64 keys, the text
/// for VARCHAR keys. InvalidArgument naming `flag`.
absl::StatusOr<Value> ParseKey(const FieldSchema& pk, const std::string& text,
                               const std::string& flag);

/// KEY=VALUE items as search or index parameters: integers and numbers
/// become numbers, true/false booleans, anything else a string.
absl::StatusOr<std::map<std::string, Value>> ParseParams(
    const std::vector<std::string>& items, const std::string& flag);

/// Appends `v` (an array of numbers, or a float vector) to `out` as `dim`
/// float32 values; InvalidArgument naming `where` for another length, a
/// value that is not a finite number or outside the range of float32.
absl::Status AppendVector(const Value& v, int64_t dim, const std::string& where,
                          std::vector<float>& out);

/// Adds the query vectors `v` for vector field `f` to `req`: one vector or
/// an array of them, each as a row of the field gives it (CoerceRow):
/// FLOAT_VECTOR, FLOAT16_VECTOR and BFLOAT16_VECTOR fields take `dim`
/// numbers (float32 `vectors`, which the library rounds for 16-bit
/// fields), BINARY_VECTOR fields dim / 8 bytes (`vector_values`),
/// SPARSE_FLOAT_VECTOR fields sparse vectors (`sparse_vectors`). Sets
/// req->dim. InvalidArgument naming `where` ("WHERE: vector 2: ...").
absl::Status AddQueryVectors(const FieldSchema& f, const Value& v,
                             const std::string& where, SearchRequest* req);

/// "id, vector, title": the schema's field names, for messages.
std::string FieldNames(const CollectionSchema& schema);

/// Whether a row must give the field: a primary key that is not auto_id, or
/// a field neither nullable nor with a default.
bool IsRequired(const FieldSchema& f);

/// InvalidArgument "<where>: <what>".
absl::Status FieldError(const std::string& where, const std::string& what);

}  // namespace cove::cli

#endif  // COVE_SRC_CLI_DATA_SCHEMA_H_
