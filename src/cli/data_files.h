// Readers of `cove data`: rows from JSON lines, JSON, CSV/TSV and NumPy
// (.npy) files, typed by the collection's schema (data_schema.h); query
// vectors. Readers over streams, so that the unit tests run without a
// server.
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
#include "cli/data_schema.h"
#include "cove/types.h"
#include "cove/value.h"

namespace cove::cli {

// ---- CSV -----------------------------------------------------------------

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

// ---- NumPy ---------------------------------------------------------------

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

// ---- row sources ---------------------------------------------------------

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

// ---- query vectors -------------------------------------------------------

/// Query vectors for vector field `f` from JSON text: one vector or an
/// array of them (AddQueryVectors), added to `req`.
absl::Status ParseVectors(std::string_view text, const FieldSchema& f,
                          const std::string& where, SearchRequest* req);
/// Query vectors from a file: .npy (n x dim float32, for FLOAT_VECTOR,
/// FLOAT16_VECTOR and BFLOAT16_VECTOR fields), .json (as ParseVectors),
/// .jsonl (one vector per line), added to `req`.
absl::Status ReadVectorFile(std::istream& in, const std::string& name,
                            const FieldSchema& f, SearchRequest* req);

}  // namespace cove::cli

#endif  // COVE_SRC_CLI_DATA_FILES_H_
