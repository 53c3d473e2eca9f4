// Readers of `cove data`: CSV, JSON lines, JSON and .npy files, row sources
// and query vectors (see data_files.h).
#include "cli/data_files.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

// Rows parsed from a file but not checked (CoerceRow) yet: the fields file
// of a .npy source is checked once merged with the vectors.
absl::Status MaybeCoerce(bool check, const CollectionSchema& schema, Row& row,
                         const std::string& where) {
  return check ? CoerceRow(schema, row, where) : absl::OkStatus();
}

absl::StatusOr<Row> ObjectToRow(const Value& v, const std::string& where) {
  if (!v.is_object()) {
    return FieldError(
        where,
        absl::StrCat("expected a JSON object (one row), got ", Brief(v)));
  }
  Row row;
  for (const auto& [k, item] : v.AsObject()) row.emplace(k, item);
  return row;
}

// ---- sources -------------------------------------------------------------

class JsonLinesSource : public RowSource {
 public:
  JsonLinesSource(std::istream& in, std::string name,
                  const CollectionSchema& schema, bool check)
      : in_(in), name_(std::move(name)), schema_(schema), check_(check) {}

  absl::Status Next(size_t max, std::vector<Row>& out) override {
    size_t added = 0;
    std::string line;
    while (added < max && std::getline(in_, line)) {
      ++line_;
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      std::string where = absl::StrCat(name_, ":", line_);
      COVE_ASSIGN_OR_RETURN(Value v, ParseJsonValue(line, where));
      COVE_ASSIGN_OR_RETURN(Row row, ObjectToRow(v, where));
      COVE_RETURN_IF_ERROR(MaybeCoerce(check_, schema_, row, where));
      out.push_back(std::move(row));
      ++added;
    }
    if (in_.bad()) return FieldError(name_, "read error");
    return absl::OkStatus();
  }
  std::string Position() const override {
    return absl::StrCat(name_, ":", line_ + 1);
  }

 private:
  std::istream& in_;
  std::string name_;
  const CollectionSchema& schema_;
  bool check_;
  int64_t line_ = 0;
};

class JsonArraySource : public RowSource {
 public:
  static absl::StatusOr<std::unique_ptr<RowSource>> Open(
      std::istream& in, const std::string& name, const CollectionSchema& schema,
      bool check) {
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    if (in.bad()) return FieldError(name, "read error");
    COVE_ASSIGN_OR_RETURN(Value doc, ParseJsonValue(text, name));
    Value rows = doc;
    if (doc.is_object()) {
      const Value* r = doc.Find("rows");
      if (r == nullptr || doc.AsObject().size() != 1) {
        std::vector<std::string> keys;
        for (const auto& [k, unused] : doc.AsObject()) keys.push_back(k);
        return FieldError(
            name,
            absl::StrCat("expected an array of rows or an object with "
                         "just a \"rows\" array, got an object with keys: ",
                         absl::StrJoin(keys, ", ")));
      }
      rows = *r;
    }
    if (!rows.is_array()) {
      return FieldError(name, absl::StrCat("expected an array of rows (JSON "
                                           "objects), got ",
                                           Brief(rows)));
    }
    return std::unique_ptr<RowSource>(
        new JsonArraySource(name, rows, schema, check));
  }

  absl::Status Next(size_t max, std::vector<Row>& out) override {
    const auto& a = rows_.AsArray();
    for (size_t added = 0; added < max && next_ < a.size(); ++added) {
      std::string where = Position();
      COVE_ASSIGN_OR_RETURN(Row row, ObjectToRow(a[next_], where));
      COVE_RETURN_IF_ERROR(MaybeCoerce(check_, schema_, row, where));
      out.push_back(std::move(row));
      ++next_;
    }
    return absl::OkStatus();
  }
  std::string Position() const override {
    return absl::StrCat(name_, ": row ", next_ + 1);
  }

 private:
  JsonArraySource(std::string name, Value rows, const CollectionSchema& schema,
                  bool check)
      : name_(std::move(name)),
        rows_(std::move(rows)),
        schema_(schema),
        check_(check) {}
  std::string name_;
  Value rows_;
  const CollectionSchema& schema_;
  bool check_;
  size_t next_ = 0;
};

class CsvSource : public RowSource {
 public:
  static absl::StatusOr<std::unique_ptr<RowSource>> Open(
      std::istream& in, const std::string& name, char delimiter,
      const CollectionSchema& schema, bool check) {
    std::unique_ptr<CsvSource> s(new CsvSource(in, name, delimiter, schema));
    s->check_ = check;
    std::vector<CsvField> header;
    COVE_ASSIGN_OR_RETURN(bool any, s->reader_.Next(header));
    if (!any) return FieldError(name, "empty file (expected a header line)");
    const std::string where = absl::StrCat(name, ":", s->reader_.line());
    std::set<std::string> seen;
    for (size_t i = 0; i < header.size(); ++i) {
      const std::string& column = header[i].text;
      if (column.empty()) {
        return FieldError(where, absl::StrCat("column ", i + 1,
                                              " of the header has no name"));
      }
      if (!seen.insert(column).second) {
        return FieldError(where, absl::StrCat("column '", column,
                                              "' appears twice in the "
                                              "header"));
      }
      const FieldSchema* field = nullptr;
      for (const FieldSchema& f : schema.fields) {
        if (f.name == column) field = &f;
      }
      if (field == nullptr && column != "$meta" &&
          !schema.enable_dynamic_field) {
        return FieldError(
            where,
            absl::StrCat("column '", column,
                         "' is not a field of the collection (its "
                         "fields: ",
                         FieldNames(schema), "; it has no dynamic field)"));
      }
      if (field != nullptr && field->is_primary_key && field->auto_id) {
        return FieldError(where,
                          absl::StrCat("column '", column,
                                       "': the primary key is auto_id (the "
                                       "server assigns it): remove the "
                                       "column"));
      }
      if (field != nullptr && field->is_function_output) {
        return FieldError(where,
                          absl::StrCat("column '", column,
                                       "': the field is a function's output "
                                       "(filled from its input at insert): "
                                       "remove the column"));
      }
      s->columns_.push_back(column);
      s->fields_.push_back(field);
    }
    if (check) {
      for (const FieldSchema& f : schema.fields) {
        if (IsRequired(f) && seen.count(f.name) == 0) {
          return FieldError(where,
                            absl::StrCat("no column for field '", f.name, "' (",
                                         DataTypeName(f.type), ", required)"));
        }
      }
    }
    return std::unique_ptr<RowSource>(std::move(s));
  }

  absl::Status Next(size_t max, std::vector<Row>& out) override {
    std::vector<CsvField> cells;
    for (size_t added = 0; added < max; ++added) {
      COVE_ASSIGN_OR_RETURN(bool any, reader_.Next(cells));
      if (!any) {
        done_ = true;
        break;
      }
      std::string where = absl::StrCat(reader_.name(), ":", reader_.line());
      if (cells.size() != columns_.size()) {
        return FieldError(where, absl::StrCat("expected ", columns_.size(),
                                              " columns (as the header), got ",
                                              cells.size()));
      }
      Row row;
      for (size_t i = 0; i < cells.size(); ++i) {
        std::string cell_where =
            absl::StrCat(where, ": column ", i + 1, " ('", columns_[i], "')");
        COVE_ASSIGN_OR_RETURN(std::optional<Value> v,
                              CsvValue(cells[i], fields_[i], cell_where));
        if (v.has_value()) row.emplace(columns_[i], *std::move(v));
      }
      COVE_RETURN_IF_ERROR(MaybeCoerce(check_, schema_, row, where));
      out.push_back(std::move(row));
    }
    return absl::OkStatus();
  }
  std::string Position() const override {
    return done_
               ? absl::StrCat(reader_.name(), ": end")
               : absl::StrCat(reader_.name(), ": after line ", reader_.line());
  }

 private:
  CsvSource(std::istream& in, const std::string& name, char delimiter,
            const CollectionSchema& schema)
      : reader_(in, name, delimiter), schema_(schema) {}
  CsvReader reader_;
  const CollectionSchema& schema_;
  bool check_ = true;
  bool done_ = false;
  std::vector<std::string> columns_;
  std::vector<const FieldSchema*> fields_;
};

// .npy files hold float32 vectors: for FLOAT_VECTOR fields and, rounded,
// the 16-bit ones.
absl::Status CheckNpyField(const FieldSchema& f, const std::string& name) {
  if (f.type == DataType::kFloatVector || f.type == DataType::kFloat16Vector ||
      f.type == DataType::kBFloat16Vector) {
    return absl::OkStatus();
  }
  return FieldError(
      name, absl::StrCat("a .npy file holds float32 vectors; field '", f.name,
                         "' is ", DataTypeName(f.type),
                         " (give its vectors as JSON lines, JSON or "
                         "CSV)"));
}

class NpySource : public RowSource {
 public:
  static absl::StatusOr<std::unique_ptr<RowSource>> Open(
      std::istream& in, const std::string& name, const CollectionSchema& schema,
      NpyOptions options) {
    COVE_ASSIGN_OR_RETURN(
        const FieldSchema* vf,
        VectorField(schema, options.vector_field, "--vector-field"));
    COVE_RETURN_IF_ERROR(CheckNpyField(*vf, name));
    COVE_ASSIGN_OR_RETURN(std::unique_ptr<NpyReader> reader,
                          NpyReader::Open(in, name));
    if (reader->dim() != vf->dim) {
      return FieldError(
          name, absl::StrCat("the vectors have ", reader->dim(),
                             " columns (expected ", vf->dim,
                             ": the dimension of field '", vf->name, "')"));
    }
    const FieldSchema* pk = PrimaryField(schema);
    if (options.id_start.has_value()) {
      if (pk == nullptr || pk->auto_id) {
        return FieldError("--id-start",
                          "the collection's primary key is auto_id (the server "
                          "assigns the ids): leave --id-start out");
      }
    } else if (pk != nullptr && !pk->auto_id && options.fields == nullptr) {
      return FieldError(
          name,
          absl::StrCat("the collection's primary key '", pk->name,
                       "' is not auto_id: give --id-start N to number the "
                       "rows from N, or --fields FILE with the column '",
                       pk->name, "'"));
    }
    std::unique_ptr<NpySource> s(new NpySource(name, schema));
    s->reader_ = std::move(reader);
    s->vector_field_ = vf;
    s->pk_ = pk;
    s->options_ = std::move(options);
    return std::unique_ptr<RowSource>(std::move(s));
  }

  absl::Status Next(size_t max, std::vector<Row>& out) override {
    std::vector<float> data;
    COVE_ASSIGN_OR_RETURN(int64_t n,
                          reader_->Read(static_cast<int64_t>(max), data));
    const size_t dim = static_cast<size_t>(reader_->dim());
    std::vector<Row> side;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t index = next_ + i;
      std::string where = absl::StrCat(name_, ": row ", index + 1);
      Row row;
      if (options_.fields != nullptr) {
        std::string side_where = options_.fields->Position();
        side.clear();
        COVE_RETURN_IF_ERROR(options_.fields->Next(1, side));
        if (side.empty()) {
          return FieldError(
              options_.fields_name,
              absl::StrCat("has ", index, " rows, but ", name_, " has ",
                           reader_->rows(),
                           " vectors (expected one row per vector)"));
        }
        row = std::move(side[0]);
        where = absl::StrCat(where, " (fields from ", side_where, ")");
        if (row.count(vector_field_->name) > 0) {
          return FieldError(
              where,
              absl::StrCat("the --fields file has the vector "
                           "field '",
                           vector_field_->name, "': it comes from ", name_));
        }
      }
      if (options_.id_start.has_value()) {
        if (row.count(pk_->name) > 0) {
          return FieldError(
              where,
              absl::StrCat("--id-start: the --fields file gives "
                           "the primary key '",
                           pk_->name, "' already: leave --id-start out"));
        }
        const int64_t id = *options_.id_start + index;
        row[pk_->name] = pk_->type == DataType::kVarChar
                             ? Value(absl::StrCat(id))
                             : Value(id);
      }
      row[vector_field_->name] = Value::FloatVector(std::vector<float>(
          data.begin() + static_cast<ptrdiff_t>(i * dim),
          data.begin() + static_cast<ptrdiff_t>((i + 1) * dim)));
      COVE_RETURN_IF_ERROR(CoerceRow(schema_, row, where));
      out.push_back(std::move(row));
    }
    next_ += n;
    if (n == 0 && options_.fields != nullptr && !fields_checked_) {
      fields_checked_ = true;
      side.clear();
      COVE_RETURN_IF_ERROR(options_.fields->Next(1, side));
      if (!side.empty()) {
        return FieldError(options_.fields_name,
                          absl::StrCat("has more rows than the ",
                                       reader_->rows(), " vectors of ", name_,
                                       " (expected one row per vector)"));
      }
    }
    return absl::OkStatus();
  }
  std::string Position() const override {
    return absl::StrCat(name_, ": row ", next_ + 1);
  }

 private:
  NpySource(std::string name, const CollectionSchema& schema)
      : name_(std::move(name)), schema_(schema) {}
  std::string name_;
  const CollectionSchema& schema_;
  std::unique_ptr<NpyReader> reader_;
  const FieldSchema* vector_field_ = nullptr;
  const FieldSchema* pk_ = nullptr;
  NpyOptions options_;
  int64_t next_ = 0;
  bool fields_checked_ = false;
};

absl::StatusOr<std::unique_ptr<RowSource>> OpenSource(
    std::istream& in, const std::string& name, RowFormat format,
    const CollectionSchema& schema, NpyOptions npy, bool check) {
  switch (format) {
    case RowFormat::kJsonLines:
      return std::unique_ptr<RowSource>(
          new JsonLinesSource(in, name, schema, check));
    case RowFormat::kJson:
      return JsonArraySource::Open(in, name, schema, check);
    case RowFormat::kCsv:
      return CsvSource::Open(in, name, ',', schema, check);
    case RowFormat::kTsv:
      return CsvSource::Open(in, name, '\t', schema, check);
    case RowFormat::kNpy:
      return NpySource::Open(in, name, schema, std::move(npy));
  }
  return absl::InternalError("unknown row format");
}

// ---- .npy header ---------------------------------------------------------

// A tiny reader of the Python literal dictionary of a .npy header.
class PyDict {
 public:
  explicit PyDict(std::string_view text) : s_(text) {}

  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' ||
                              s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  bool Eat(char c) {
    Ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Peek(char c) {
    Ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  std::optional<std::string> String() {
    Ws();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) {
      return std::nullopt;
    }
    const char q = s_[i_++];
    std::string out;
    while (i_ < s_.size() && s_[i_] != q) out += s_[i_++];
    if (i_ >= s_.size()) return std::nullopt;
    ++i_;
    return out;
  }
  std::optional<std::string> Word() {
    Ws();
    size_t start = i_;
    while (i_ < s_.size() && (absl::ascii_isalnum(s_[i_]) || s_[i_] == '_')) {
      ++i_;
    }
    if (i_ == start) return std::nullopt;
    return std::string(s_.substr(start, i_ - start));
  }
  size_t pos() const { return i_; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

const char* DtypeName(const std::string& descr) {
  std::string t = descr.size() > 1 ? descr.substr(1) : descr;
  if (t == "f8") return "float64";
  if (t == "f2") return "float16";
  if (t == "f4") return "float32";
  if (t == "i8") return "int64";
  if (t == "i4") return "int32";
  if (t == "i2") return "int16";
  if (t == "i1") return "int8";
  if (t == "u1") return "uint8";
  if (t == "b1") return "bool";
  return "not float32";
}

constexpr bool kLittleEndian =
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    false;
#else
    true;
#endif

void SwapBytes(float* data, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, &data[i], 4);
    u = __builtin_bswap32(u);
    std::memcpy(&data[i], &u, 4);
  }
}

}  // namespace

// ---- CSV -----------------------------------------------------------------

CsvReader::CsvReader(std::istream& in, std::string name, char delimiter)
    : in_(in), name_(std::move(name)), delimiter_(delimiter) {}

int CsvReader::Get() {
  int c = in_.rdbuf()->sbumpc();
  if (c == '\n') ++line_;
  return c;
}

absl::StatusOr<bool> CsvReader::Next(std::vector<CsvField>& fields) {
  constexpr int kEof = std::char_traits<char>::eof();
  std::streambuf* buf = in_.rdbuf();
  fields.clear();
  if (!started_) {
    started_ = true;
    // A UTF-8 byte order mark (spreadsheets write one).
    if (buf->sgetc() == 0xEF) {
      char bom[3];
      std::streamsize n = buf->sgetn(bom, 3);
      if (n != 3 || std::memcmp(bom, "\xEF\xBB\xBF", 3) != 0) {
        return FieldError(absl::StrCat(name_, ":1"),
                          "not UTF-8 text (a broken byte order mark)");
      }
    }
  }
  // Blank lines between records.
  for (;;) {
    int c = buf->sgetc();
    if (c == kEof) return false;
    if (c == '\n') {
      Get();
    } else if (c == '\r') {
      Get();
      if (buf->sgetc() == '\n') Get();
    } else {
      break;
    }
  }
  record_line_ = line_;
  for (;;) {
    CsvField field;
    const int64_t field_line = line_;
    int c = Get();
    int end = kEof;
    if (c == '"') {
      field.quoted = true;
      for (;;) {
        c = Get();
        if (c == kEof) {
          return FieldError(
              absl::StrCat(name_, ":", field_line),
              absl::StrCat("field ", fields.size() + 1,
                           ": unterminated quoted field (no closing "
                           "quote before the end of the file)"));
        }
        if (c == '"') {
          if (buf->sgetc() == '"') {
            Get();
            field.text += '"';
            continue;
          }
          break;
        }
        field.text += static_cast<char>(c);
      }
      c = Get();
      if (c == '\r' && buf->sgetc() == '\n') c = Get();
      if (c != delimiter_ && c != '\n' && c != kEof) {
        return FieldError(
            absl::StrCat(name_, ":", line_),
            absl::StrCat(
                "field ", fields.size() + 1,
                ": text after the closing quote (expected '",
                delimiter_ == '\t' ? "\\t" : std::string(1, delimiter_),
                "' or the end of the line)"));
      }
      end = c;
    } else {
      while (c != delimiter_ && c != '\n' && c != kEof) {
        if (c == '\r' && buf->sgetc() == '\n') {
          c = Get();
          break;
        }
        if (c == '"') {
          return FieldError(
              absl::StrCat(name_, ":", line_),
              absl::StrCat("field ", fields.size() + 1,
                           ": a quote inside an unquoted field (quote "
                           "the whole field and double the quotes "
                           "in it: \"say \"\"hi\"\"\")"));
        }
        field.text += static_cast<char>(c);
        c = Get();
      }
      end = c;
    }
    fields.push_back(std::move(field));
    if (end != delimiter_) break;
  }
  return true;
}

absl::StatusOr<std::optional<Value>> CsvValue(const CsvField& cell,
                                              const FieldSchema* field,
                                              const std::string& where) {
  if (cell.text.empty() && !cell.quoted) return std::optional<Value>();
  if (field == nullptr) {
    // A dynamic column: JSON when it is JSON, else a string.
    // Quotes only protect delimiters in CSV: "[1, 2]" is an array too.
    Json j = Json::parse(cell.text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) {
      COVE_ASSIGN_OR_RETURN(Value v, ValueFromJson(j, where));
      return std::optional<Value>(std::move(v));
    }
    return std::optional<Value>(Value(cell.text));
  }
  const std::string text(absl::StripAsciiWhitespace(cell.text));
  switch (field->type) {
    case DataType::kBool: {
      std::string t = absl::AsciiStrToLower(text);
      if (t == "true" || t == "1") return std::optional<Value>(Value(true));
      if (t == "false" || t == "0") return std::optional<Value>(Value(false));
      return FieldError(where, absl::StrCat("expected true or false, got ",
                                            Brief(cell.text)));
    }
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64: {
      int64_t n = 0;
      if (!absl::SimpleAtoi(text, &n)) {
        return FieldError(
            where, absl::StrCat("expected an integer, got ", Brief(cell.text)));
      }
      return std::optional<Value>(Value(n));
    }
    case DataType::kFloat:
    case DataType::kDouble: {
      double d = 0;
      if (!absl::SimpleAtod(text, &d) || !std::isfinite(d)) {
        return FieldError(where, absl::StrCat("expected a finite number, got ",
                                              Brief(cell.text)));
      }
      return std::optional<Value>(Value(d));
    }
    case DataType::kVarChar:
      return std::optional<Value>(Value(cell.text));
    case DataType::kJson:
    case DataType::kArray:
    case DataType::kFloatVector:
    case DataType::kFloat16Vector:
    case DataType::kBFloat16Vector:
    case DataType::kBinaryVector:
    case DataType::kSparseFloatVector: {
      COVE_ASSIGN_OR_RETURN(Value v, ParseJsonValue(cell.text, where));
      return std::optional<Value>(std::move(v));
    }
    default:
      return FieldError(where, absl::StrCat("unsupported field type ",
                                            DataTypeName(field->type)));
  }
}

// ---- NumPy ---------------------------------------------------------------

absl::StatusOr<NpyHeader> ParseNpyHeader(std::string_view bytes,
                                         const std::string& where) {
  static constexpr std::string_view kMagic("\x93NUMPY", 6);
  if (bytes.size() < 10 || bytes.substr(0, 6) != kMagic) {
    return FieldError(
        where, "not a NumPy .npy file (expected the magic bytes \\x93NUMPY)");
  }
  const int major = static_cast<uint8_t>(bytes[6]);
  if (major < 1 || major > 3) {
    return FieldError(
        where, absl::StrCat("unsupported .npy format version ", major, ".",
                            static_cast<uint8_t>(bytes[7]),
                            " (expected 1.0, 2.0 or 3.0)"));
  }
  size_t header_len = 0;
  size_t prefix = 0;
  auto b = [&](size_t i) {
    return static_cast<size_t>(static_cast<uint8_t>(bytes[i]));
  };
  if (major == 1) {
    header_len = b(8) | (b(9) << 8);
    prefix = 10;
  } else {
    if (bytes.size() < 12) return FieldError(where, "truncated .npy header");
    header_len = b(8) | (b(9) << 8) | (b(10) << 16) | (b(11) << 24);
    prefix = 12;
  }
  if (bytes.size() < prefix + header_len) {
    return FieldError(
        where,
        absl::StrCat("truncated .npy header (expected ", header_len,
                     " bytes of header, got ",
                     bytes.size() - std::min(bytes.size(), prefix), ")"));
  }
  NpyHeader h;
  h.data_offset = prefix + header_len;
  PyDict d(bytes.substr(prefix, header_len));
  auto malformed = [&](const std::string& what) {
    return FieldError(where, absl::StrCat("malformed .npy header: ", what,
                                          " at character ", d.pos() + 1));
  };
  if (!d.Eat('{')) return malformed("expected '{'");
  bool have_descr = false, have_order = false, have_shape = false;
  while (!d.Eat('}')) {
    std::optional<std::string> key = d.String();
    if (!key) return malformed("expected a quoted key");
    if (!d.Eat(':')) return malformed("expected ':'");
    if (*key == "descr") {
      if (d.Peek('[')) {
        return FieldError(where,
                          "structured dtypes are not supported (expected a "
                          "float32 array, '<f4')");
      }
      std::optional<std::string> v = d.String();
      if (!v) return malformed("expected a quoted descr");
      h.descr = *v;
      have_descr = true;
    } else if (*key == "fortran_order") {
      std::optional<std::string> v = d.Word();
      if (!v || (*v != "True" && *v != "False")) {
        return malformed("expected True or False for fortran_order");
      }
      h.fortran_order = *v == "True";
      have_order = true;
    } else if (*key == "shape") {
      if (!d.Eat('(')) return malformed("expected '(' for shape");
      while (!d.Eat(')')) {
        std::optional<std::string> v = d.Word();
        if (!v) return malformed("expected a dimension");
        std::string digits = *v;
        if (!digits.empty() && (digits.back() == 'L' || digits.back() == 'l')) {
          digits.pop_back();
        }
        int64_t n = 0;
        if (!absl::SimpleAtoi(digits, &n) || n < 0) {
          return malformed(
              absl::StrCat("expected a dimension, got '", *v, "'"));
        }
        h.shape.push_back(n);
        if (!d.Eat(',') && !d.Peek(')'))
          return malformed("expected ',' or ')'");
      }
      have_shape = true;
    } else {
      return FieldError(where,
                        absl::StrCat("unknown key '", *key,
                                     "' in the .npy header (expected descr, "
                                     "fortran_order, shape)"));
    }
    if (!d.Eat(',') && !d.Peek('}')) return malformed("expected ',' or '}'");
  }
  if (!have_descr || !have_order || !have_shape) {
    return FieldError(where,
                      "malformed .npy header: expected the keys descr, "
                      "fortran_order and shape");
  }
  return h;
}

absl::StatusOr<std::unique_ptr<NpyReader>> NpyReader::Open(std::istream& in,
                                                           std::string name) {
  std::string prefix(10, '\0');
  in.read(prefix.data(), 10);
  prefix.resize(static_cast<size_t>(in.gcount()));
  size_t total = 0;
  if (prefix.size() == 10 && prefix.compare(0, 6, "\x93NUMPY") == 0) {
    const auto b = [&](size_t i) {
      return static_cast<size_t>(static_cast<uint8_t>(prefix[i]));
    };
    if (prefix[6] == 1) {
      total = 10 + (b(8) | (b(9) << 8));
    } else {
      std::string more(2, '\0');
      in.read(more.data(), 2);
      prefix += more.substr(0, static_cast<size_t>(in.gcount()));
      if (prefix.size() == 12) {
        total = 12 + (b(8) | (b(9) << 8) | (b(10) << 16) | (b(11) << 24));
      }
    }
  }
  if (total > (1u << 24)) {
    return FieldError(name, absl::StrCat("the .npy header claims ", total,
                                         " bytes (too large)"));
  }
  if (total > prefix.size()) {
    std::string rest(total - prefix.size(), '\0');
    in.read(rest.data(), static_cast<std::streamsize>(rest.size()));
    prefix += rest.substr(0, static_cast<size_t>(in.gcount()));
  }
  COVE_ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(prefix, name));
  std::unique_ptr<NpyReader> r(new NpyReader(in, std::move(name)));
  const std::string& descr = h.descr;
  const bool f4 = descr.size() == 3 && descr.substr(1) == "f4" &&
                  (descr[0] == '<' || descr[0] == '>' || descr[0] == '=');
  if (!f4) {
    return FieldError(r->name_,
                      absl::StrCat("dtype '", descr, "' (", DtypeName(descr),
                                   ") is not supported (expected float32, "
                                   "'<f4'): convert with "
                                   "a.astype(numpy.float32)"));
  }
  r->swap_ =
      (descr[0] == '>' && kLittleEndian) || (descr[0] == '<' && !kLittleEndian);
  if (h.shape.size() == 1) {
    r->rows_ = 1;
    r->dim_ = h.shape[0];
  } else if (h.shape.size() == 2) {
    r->rows_ = h.shape[0];
    r->dim_ = h.shape[1];
  } else {
    std::vector<std::string> dims;
    for (int64_t s : h.shape) dims.push_back(absl::StrCat(s));
    return FieldError(
        r->name_, absl::StrCat("shape (", absl::StrJoin(dims, ", "),
                               ") is not supported (expected (rows, dim), or "
                               "(dim,) for one vector)"));
  }
  if (r->dim_ <= 0) {
    return FieldError(r->name_,
                      "the vectors have 0 columns (expected dim > 0)");
  }
  if (r->rows_ > (int64_t{1} << 40) / r->dim_) {
    return FieldError(r->name_, absl::StrCat("shape (", r->rows_, ", ", r->dim_,
                                             ") is too large"));
  }
  r->fortran_ = h.fortran_order && h.shape.size() == 2 && r->rows_ > 1;
  // The data must be exactly rows x dim float32 (checked up front when the
  // stream can seek, else as it is read).
  const int64_t expected = r->rows_ * r->dim_ * 4;
  std::streampos here = in.tellg();
  if (here != std::streampos(-1)) {
    in.seekg(0, std::ios::end);
    std::streampos end = in.tellg();
    in.seekg(here);
    if (end != std::streampos(-1)) {
      const int64_t have = static_cast<int64_t>(end - here);
      if (have != expected) {
        return FieldError(
            r->name_,
            absl::StrCat("expected ", expected,
                         " bytes of data for "
                         "shape (",
                         r->rows_, ", ", r->dim_, ") float32, got ", have,
                         have < expected ? " (truncated file?)" : ""));
      }
    }
  }
  return r;
}

absl::Status NpyReader::Check(const float* data, int64_t first_row,
                              int64_t n) const {
  for (int64_t i = 0; i < n * dim_; ++i) {
    if (!std::isfinite(data[i])) {
      return FieldError(
          name_, absl::StrCat("row ", first_row + i / dim_ + 1, ", column ",
                              i % dim_ + 1, ": ",
                              std::isnan(data[i]) ? "NaN" : "infinity",
                              " (expected finite numbers)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> NpyReader::Read(int64_t max_rows,
                                        std::vector<float>& out) {
  const int64_t n = std::min(max_rows, rows_ - next_);
  if (n <= 0) {
    if (in_.peek() != std::char_traits<char>::eof()) {
      return FieldError(
          name_, absl::StrCat("unexpected bytes after the ", rows_, " x ", dim_,
                              " float32 values"));
    }
    return 0;
  }
  auto read = [&](float* dst, int64_t count) -> absl::Status {
    const std::streamsize bytes = static_cast<std::streamsize>(count * 4);
    in_.read(reinterpret_cast<char*>(dst), bytes);
    if (in_.gcount() != bytes) {
      return FieldError(
          name_, absl::StrCat("the data ends early (expected ",
                              rows_ * dim_ * 4, " bytes for shape (", rows_,
                              ", ", dim_, ") float32; truncated file?)"));
    }
    if (swap_) SwapBytes(dst, static_cast<size_t>(count));
    return absl::OkStatus();
  };
  if (fortran_) {
    if (all_.empty()) {
      std::vector<float> column_major(static_cast<size_t>(rows_ * dim_));
      COVE_RETURN_IF_ERROR(read(column_major.data(), rows_ * dim_));
      all_.resize(column_major.size());
      for (int64_t c = 0; c < dim_; ++c) {
        for (int64_t r = 0; r < rows_; ++r) {
          all_[static_cast<size_t>(r * dim_ + c)] =
              column_major[static_cast<size_t>(c * rows_ + r)];
        }
      }
      COVE_RETURN_IF_ERROR(Check(all_.data(), 0, rows_));
    }
    out.insert(out.end(), all_.begin() + next_ * dim_,
               all_.begin() + (next_ + n) * dim_);
  } else {
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(n * dim_));
    COVE_RETURN_IF_ERROR(read(out.data() + at, n * dim_));
    COVE_RETURN_IF_ERROR(Check(out.data() + at, next_, n));
  }
  next_ += n;
  return n;
}

// ---- row sources ---------------------------------------------------------

const char* RowFormatName(RowFormat f) {
  switch (f) {
    case RowFormat::kJsonLines:
      return "jsonl";
    case RowFormat::kJson:
      return "json";
    case RowFormat::kCsv:
      return "csv";
    case RowFormat::kTsv:
      return "tsv";
    case RowFormat::kNpy:
      return "npy";
  }
  return "?";
}

absl::StatusOr<RowFormat> DetectFormat(const std::string& path,
                                       const std::string& format,
                                       const std::string& flag) {
  std::string f = absl::AsciiStrToLower(format);
  if (f.empty()) {
    size_t dot = path.rfind('.');
    size_t slash = path.rfind('/');
    if (dot != std::string::npos &&
        (slash == std::string::npos || dot > slash)) {
      f = absl::AsciiStrToLower(path.substr(dot + 1));
    }
    if (f.empty()) {
      return FieldError(flag,
                        absl::StrCat("cannot tell the format of ", Brief(path),
                                     " from its name (expected .jsonl, .json, "
                                     ".csv, .tsv or .npy): give --format"));
    }
  }
  if (f == "jsonl" || f == "ndjson") return RowFormat::kJsonLines;
  if (f == "json") return RowFormat::kJson;
  if (f == "csv") return RowFormat::kCsv;
  if (f == "tsv") return RowFormat::kTsv;
  if (f == "npy") return RowFormat::kNpy;
  return FieldError(format.empty() ? flag : "--format",
                    absl::StrCat("unknown format ", Brief(f),
                                 " (expected jsonl, json, csv, tsv or npy)"));
}

absl::StatusOr<std::unique_ptr<RowSource>> OpenRowSource(
    std::istream& in, const std::string& name, RowFormat format,
    const CollectionSchema& schema, NpyOptions npy) {
  return OpenSource(in, name, format, schema, std::move(npy), /*check=*/true);
}

// The unchecked source of a --fields file (see NpySource).
absl::StatusOr<std::unique_ptr<RowSource>> OpenFieldsSource(
    std::istream& in, const std::string& name, RowFormat format,
    const CollectionSchema& schema) {
  if (format == RowFormat::kNpy) {
    return FieldError("--fields",
                      "expected a .jsonl, .json, .csv or .tsv file");
  }
  return OpenSource(in, name, format, schema, {}, /*check=*/false);
}

// ---- query vectors -------------------------------------------------------

absl::Status ParseVectors(std::string_view text, const FieldSchema& f,
                          const std::string& where, SearchRequest* req) {
  COVE_ASSIGN_OR_RETURN(Value v, ParseJsonValue(text, where));
  return AddQueryVectors(f, v, where, req);
}

absl::Status ReadVectorFile(std::istream& in, const std::string& name,
                            const FieldSchema& f, SearchRequest* req) {
  COVE_ASSIGN_OR_RETURN(RowFormat format,
                        DetectFormat(name, "", "--vector-file"));
  if (format == RowFormat::kNpy) {
    COVE_RETURN_IF_ERROR(CheckNpyField(f, name));
    COVE_ASSIGN_OR_RETURN(std::unique_ptr<NpyReader> r,
                          NpyReader::Open(in, name));
    if (r->dim() != f.dim) {
      return FieldError(
          name,
          absl::StrCat("the vectors have ", r->dim(), " columns (expected ",
                       f.dim, ": the dimension of the vector field)"));
    }
    std::vector<float> out;
    COVE_RETURN_IF_ERROR(r->Read(r->rows(), out).status());
    COVE_RETURN_IF_ERROR(r->Read(1, out).status());  // nothing after the data
    if (out.empty()) return FieldError(name, "no vectors (shape (0, dim))");
    Value::Array rows;
    for (size_t i = 0; i < out.size(); i += static_cast<size_t>(f.dim)) {
      rows.push_back(Value::FloatVector(
          std::vector<float>(out.begin() + static_cast<ptrdiff_t>(i),
                             out.begin() + static_cast<ptrdiff_t>(i + f.dim))));
    }
    return AddQueryVectors(f, Value(std::move(rows)), name, req);
  }
  if (format == RowFormat::kJson) {
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    return ParseVectors(text, f, name, req);
  }
  if (format == RowFormat::kJsonLines) {
    std::string line;
    int64_t n = 0;
    bool any = false;
    while (std::getline(in, line)) {
      ++n;
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      const std::string where = absl::StrCat(name, ":", n);
      COVE_ASSIGN_OR_RETURN(Value v, ParseJsonValue(line, where));
      const bool one = f.type == DataType::kSparseFloatVector
                           ? v.is_object()
                           : v.is_array() && (v.AsArray().empty() ||
                                              v.AsArray()[0].is_number());
      if (!one) {
        return FieldError(
            where,
            absl::StrCat("expected one vector per line, got ", Brief(v)));
      }
      COVE_RETURN_IF_ERROR(AddQueryVectors(f, v, where, req));
      any = true;
    }
    if (!any) return FieldError(name, "no vectors");
    return absl::OkStatus();
  }
  return FieldError(
      "--vector-file",
      absl::StrCat("expected a .npy, .json or .jsonl file, got ", Brief(name)));
}

}  // namespace cove::cli
