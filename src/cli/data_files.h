// Input and output of `cove data`: rows from JSON lines, JSON, CSV and NumPy
// (.npy) files, typed by the collection's schema; query vectors; schemas as
// JSON; values as JSON for output. Pure functions and readers over streams,
// so that the unit tests run without a server.
//
// Every error is InvalidArgument and names where it happened: the file and
// line ("rows.csv:12"), the column or field, what was expected and what came.
#ifndef COVE_SRC_CLI_DATA_FILES_H_
#define COVE_SRC_CLI_DATA_FILES_H_

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
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

// ---- values and JSON
// ---------------------------------------------------------

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

// ---- schemas
// -------------------------------------------------------------------

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
/// description, fields, enable_dynamic_field, consistency_level, properties,
/// aliases, partitions, created_timestamp, num_shards; plus `indexes` and
/// `load_state` when given.
Json CollectionToJson(const CollectionDescription& d,
                      const std::vector<IndexDescription>* indexes,
                      std::optional<LoadState> load_state);
Json FieldToJson(const FieldSchema& f);
Json IndexToJson(const IndexDescription& d);

/// A schema and indexes from the JSON of `collections describe -o json`:
/// `fields` (required) with name, type, is_primary_key, auto_id,
/// max_length, dim, element_type, max_capacity, nullable, default_value,
/// description; enable_dynamic_field, description, consistency_level,
/// properties; `indexes` with field_name, index_name, index_type,
/// metric_type, params. The output-only keys of describe are accepted and
/// ignored; any other key is refused, naming it.
struct SchemaFile {
  CollectionSchema schema;
  std::vector<IndexSpec> indexes;
};
absl::StatusOr<SchemaFile> ParseSchemaJson(std::string_view text,
                                           const std::string& where);

// ---- rows
// --------------------------------------------------------------------

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
/// The FLOAT_VECTOR field named `name`, or the only one when `name` is empty.
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

// ---- CSV
// ---------------------------------------------------------------------

/// One CSV field: its text, and whether it was quoted (an empty unquoted
/// field is a missing value, "" an empty string).
struct CsvField {
  std::string text;
  bool quoted = false;
};

/// RFC 4180 records from a stream: fields separated by `delimiter`, quoted
/// with '"' (doubled inside quotes), records ended by LF or CRLF; quoted
/// fields may hold delimiters and line breaks. A UTF-8 byte order mark at
/// the start is skipped; blank lines are skipped.
class CsvReader {
 public:
  CsvReader(std::istream& in, std::string name, char delimiter = ',');
  /// The next record into `fields`: true, or false at the end. Errors name
  /// the line: a quote inside an unquoted field, text after a closing
  /// quote, an unterminated quoted field.
  absl::StatusOr<bool> Next(std::vector<CsvField>& fields);
  /// The line the last record started on (1-based).
  int64_t line() const { return record_line_; }
  const std::string& name() const { return name_; }

 private:
  int Get();
  std::istream& in_;
  std::string name_;
  char delimiter_;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  bool started_ = false;
};

/// A CSV field's value for `field` (nullptr: a dynamic column): BOOL
/// true/false/1/0, integers, numbers, VARCHAR as is, JSON, ARRAY and
/// FLOAT_VECTOR as JSON text ("[0.1, 0.2]"); dynamic columns as JSON when
/// the text is valid JSON, else as a string. An empty unquoted field gives
/// nullopt (the value is missing). `where` names the line and column.
absl::StatusOr<std::optional<Value>> CsvValue(const CsvField& cell,
                                              const FieldSchema* field,
                                              const std::string& where);

// ---- NumPy
// -------------------------------------------------------------------

/// The header of a .npy file (format versions 1.0, 2.0 and 3.0).
struct NpyHeader {
  std::string descr;  ///< "<f4", ">f4", "<f8", ...
  bool fortran_order = false;
  std::vector<int64_t> shape;
  size_t data_offset = 0;  ///< bytes before the array data
};

/// Parses the header at the start of `bytes` (at least the whole header).
/// InvalidArgument naming `where`: not a .npy file, an unknown version, a
/// malformed header dictionary.
absl::StatusOr<NpyHeader> ParseNpyHeader(std::string_view bytes,
                                         const std::string& where);

/// A float32 matrix from a .npy stream, read row by row: shape (n, dim), or
/// (dim,) for one row. dtype float32, little- or big-endian ('<f4', '>f4');
/// Fortran (column-major) order is accepted and transposed (the whole array
/// is then read at once). Refused, naming the file: another dtype (float64
/// included: convert with astype(np.float32)), other shapes, a data size
/// that does not match the shape, non-finite values.
class NpyReader {
 public:
  /// Reads the header; errors as above.
  static absl::StatusOr<std::unique_ptr<NpyReader>> Open(std::istream& in,
                                                         std::string name);
  int64_t rows() const { return rows_; }
  int64_t dim() const { return dim_; }
  /// The next up to `max_rows` rows, row-major, appended to `out`; returns
  /// the number of rows read (0 at the end).
  absl::StatusOr<int64_t> Read(int64_t max_rows, std::vector<float>& out);

 private:
  NpyReader(std::istream& in, std::string name) : in_(in), name_(name) {}
  absl::Status Check(const float* data, int64_t first_row, int64_t n) const;
  std::istream& in_;
  std::string name_;
  int64_t rows_ = 0;
  int64_t dim_ = 0;
  int64_t next_ = 0;
  bool swap_ = false;
  bool fortran_ = false;
  std::vector<float> all_;  // Fortran order: the whole array, row-major
};

// ---- row sources
// -------------------------------------------------------------

/// File formats of `cove data insert`.
enum class RowFormat { kJsonLines, kJson, kCsv, kTsv, kNpy };
/// "jsonl", "json", "csv", "tsv", "npy".
const char* RowFormatName(RowFormat f);
/// The format named by --format, or from the file's extension (.jsonl,
/// .ndjson, .json, .csv, .tsv, .npy) when `format` is empty.
absl::StatusOr<RowFormat> DetectFormat(const std::string& path,
                                       const std::string& format,
                                       const std::string& flag);

/// Rows read from a file, in batches, checked against the schema.
class RowSource {
 public:
  virtual ~RowSource() = default;
  /// Up to `max` rows appended to `out`; fewer (or none) at the end.
  virtual absl::Status Next(size_t max, std::vector<Row>& out) = 0;
  /// Where the next row comes from, for messages ("rows.csv:12").
  virtual std::string Position() const = 0;
};

/// Options of the .npy source.
struct NpyOptions {
  /// The vector field the rows go to (empty: the only one).
  std::string vector_field;
  /// Other fields, row by row (may be null).
  std::unique_ptr<RowSource> fields;
  std::string fields_name;  ///< for messages (the --fields file)
  /// Primary keys from this number on when neither auto_id nor in `fields`.
  std::optional<int64_t> id_start;
};

/// A source over `in` (which must outlive it). `name` is the file name in
/// messages. CSV/TSV: the header names the fields; every record must have
/// as many fields as the header. JSON: an array of objects, or an object
/// with a "rows" array (Milvus' import format). JSON lines: one object per
/// line. NumPy: see NpyReader and NpyOptions.
absl::StatusOr<std::unique_ptr<RowSource>> OpenRowSource(
    std::istream& in, const std::string& name, RowFormat format,
    const CollectionSchema& schema, NpyOptions npy = {});

/// The source of a --fields file of a .npy insert: rows parsed (CSV values
/// typed by the schema) but checked only once merged with their vectors.
absl::StatusOr<std::unique_ptr<RowSource>> OpenFieldsSource(
    std::istream& in, const std::string& name, RowFormat format,
    const CollectionSchema& schema);

// ---- query vectors
// -----------------------------------------------------------

/// Query vectors from JSON text: one vector ([0.1, 0.2]) or several
/// ([[...], [...]]), each of `dim` finite numbers. Row-major result.
absl::StatusOr<std::vector<float>> ParseVectors(std::string_view text,
                                                int64_t dim,
                                                const std::string& where);
/// Query vectors from a file: .npy (n x dim float32), .json (as
/// ParseVectors), .jsonl (one vector per line).
absl::StatusOr<std::vector<float>> ReadVectorFile(std::istream& in,
                                                  const std::string& name,
                                                  int64_t dim);

}  // namespace cove::cli

#endif  // COVE_SRC_CLI_DATA_FILES_H_
