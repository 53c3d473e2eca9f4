// Bulk import for cove-server (see import_task.h).
#include "server/import_task.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "milvus/convert.h"

namespace cove::server {
namespace {

// Rows inserted per batch (progress moves in these steps).
constexpr size_t kBatchRows = 1024;
// Largest file an import reads (it is read whole).
constexpr size_t kMaxFileBytes = size_t{1} << 30;

std::string Quote(const std::string& s) {
  return absl::StrCat("'", internal::ValidUtf8(s), "'");
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& dir,
                                          const std::string& name) {
  const std::string path = absl::StrCat(dir, "/", name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "import file ", Quote(name), ": not found in the import directory"));
  }
  in.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(in.tellg());
  if (size > kMaxFileBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "import file ", Quote(name), ": too large (expected at most ",
        kMaxFileBytes, " bytes, got ", size, ")"));
  }
  in.seekg(0);
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in) {
    return absl::DataLossError(
        absl::StrCat("import file ", Quote(name), ": read failed"));
  }
  return bytes;
}

absl::Status CheckRelative(const std::string& name) {
  if (name.empty() || name[0] == '/' || absl::StrContains(name, '\0')) {
    return absl::InvalidArgumentError(
        absl::StrCat("import file ", Quote(name),
                     ": expected a path relative to the import directory"));
  }
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("import file ", Quote(name),
                       ": '..' may not leave the import directory"));
    }
  }
  return absl::OkStatus();
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// JSON rows: float vectors arrive as arrays of numbers.
absl::Status FixVectors(const CollectionSchema& schema, Row* row) {
  for (const FieldSchema& f : schema.fields) {
    if (f.type != DataType::kFloatVector) continue;
    auto it = row->find(f.name);
    if (it == row->end() || !it->second.is_array()) continue;
    std::vector<float> v;
    for (const Value& x : it->second.AsArray()) {
      if (!x.is_number()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "field ", Quote(f.name), ": expected a list of numbers"));
      }
      v.push_back(static_cast<float>(x.AsDouble()));
    }
    it->second = Value::FloatVector(std::move(v));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Row>> JsonRows(const std::string& name,
                                          const std::string& bytes,
                                          const CollectionSchema& schema) {
  auto doc = Value::FromJson(bytes);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("import file ", Quote(name), ": not valid JSON (",
                     doc.status().message(), ")"));
  }
  const Value::Array* rows = nullptr;
  if (doc->is_array()) {
    rows = &doc->AsArray();
  } else if (doc->is_object()) {
    auto it = doc->AsObject().find("rows");
    if (it != doc->AsObject().end() && it->second.is_array()) {
      rows = &it->second.AsArray();
    }
  }
  if (rows == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("import file ", Quote(name),
                     ": expected a list of rows or {\"rows\": [...]}"));
  }
  std::vector<Row> out;
  out.reserve(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) {
    const Value& r = (*rows)[i];
    if (!r.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "import file ", Quote(name), ": row ", i, " is not an object"));
    }
    Row row;
    for (const auto& [k, v] : r.AsObject()) row[k] = v;
    absl::Status s = FixVectors(schema, &row);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "import file ", Quote(name), ": row ", i, ": ", s.message()));
    }
    out.push_back(std::move(row));
  }
  return out;
}

// Reads the value of `key` in a NumPy header dict ("{'descr': '<f4', ...}").
std::string HeaderValue(const std::string& header, const std::string& key) {
  const std::string needle = absl::StrCat("'", key, "':");
  size_t at = header.find(needle);
  if (at == std::string::npos) return std::string();
  at += needle.size();
  while (at < header.size() && header[at] == ' ') ++at;
  if (at >= header.size()) return std::string();
  if (header[at] == '\'') {
    size_t end = header.find('\'', at + 1);
    return end == std::string::npos ? std::string()
                                    : header.substr(at + 1, end - at - 1);
  }
  if (header[at] == '(') {
    size_t end = header.find(')', at);
    return end == std::string::npos ? std::string()
                                    : header.substr(at + 1, end - at - 1);
  }
  size_t end = header.find_first_of(",}", at);
  return header.substr(at,
                       end == std::string::npos ? std::string::npos : end - at);
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

absl::StatusOr<std::vector<Value>> ParseNpy(const std::string& name,
                                            const std::string& bytes) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("import file ", Quote(name), ": ", why));
  };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    return bad("not a NumPy .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = Load<uint16_t>(bytes.data() + 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return bad("truncated header");
    header_len = Load<uint32_t>(bytes.data() + 8);
    offset = 12;
  } else {
    return bad(absl::StrCat("unsupported .npy version ", major));
  }
  if (offset + header_len > bytes.size()) return bad("truncated header");
  const std::string header = bytes.substr(offset, header_len);
  const size_t data = offset + header_len;
  const std::string descr = HeaderValue(header, "descr");
  if (HeaderValue(header, "fortran_order") != "False") {
    return bad("Fortran-ordered arrays are not supported (save C order)");
  }
  std::vector<int64_t> shape;
  for (absl::string_view part :
       absl::StrSplit(HeaderValue(header, "shape"), ',', absl::SkipEmpty())) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) continue;
    int64_t n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 0) return bad("malformed shape");
    shape.push_back(n);
  }
  if (shape.empty() || shape.size() > 2) {
    return bad(absl::StrCat("expected a 1-D or 2-D array (got ", shape.size(),
                            " dimensions)"));
  }
  const int64_t rows = shape[0];
  const int64_t cols = shape.size() == 2 ? shape[1] : 1;
  if (descr.size() < 3 ||
      (descr[0] != '<' && descr[0] != '|' && descr[0] != '=')) {
    return bad(absl::StrCat("unsupported dtype '", internal::ValidUtf8(descr),
                            "' (expected little-endian)"));
  }
  const char kind = descr[1];
  int64_t width = 0;
  if (!absl::SimpleAtoi(descr.substr(2), &width) || width <= 0) {
    return bad(
        absl::StrCat("unsupported dtype '", internal::ValidUtf8(descr), "'"));
  }
  const int64_t item = kind == 'U' ? 4 * width : width;
  if (rows > 0 && cols > 0 &&
      (static_cast<uint64_t>(item) * cols >
       (bytes.size() - data) / static_cast<uint64_t>(rows))) {
    return bad("the data is shorter than the shape says");
  }
  std::vector<Value> out;
  out.reserve(static_cast<size_t>(rows));
  const char* p = bytes.data() + data;
  if (shape.size() == 2) {
    if (kind != 'f' || (width != 4 && width != 8)) {
      return bad(
          absl::StrCat("2-D arrays must be float32 or float64 vectors "
                       "(got dtype '",
                       internal::ValidUtf8(descr), "')"));
    }
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<float> v(static_cast<size_t>(cols));
      for (int64_t c = 0; c < cols; ++c, p += width) {
        v[c] =
            width == 4 ? Load<float>(p) : static_cast<float>(Load<double>(p));
      }
      out.push_back(Value::FloatVector(std::move(v)));
    }
    return out;
  }
  for (int64_t r = 0; r < rows; ++r, p += item) {
    switch (kind) {
      case 'b':
        out.emplace_back(*p != 0);
        break;
      case 'i':
        if (width == 1)
          out.emplace_back(int64_t{Load<int8_t>(p)});
        else if (width == 2)
          out.emplace_back(int64_t{Load<int16_t>(p)});
        else if (width == 4)
          out.emplace_back(int64_t{Load<int32_t>(p)});
        else if (width == 8)
          out.emplace_back(Load<int64_t>(p));
        else
          return bad(absl::StrCat("unsupported integer width ", width));
        break;
      case 'u':
        if (width == 1)
          out.emplace_back(int64_t{Load<uint8_t>(p)});
        else if (width == 2)
          out.emplace_back(int64_t{Load<uint16_t>(p)});
        else if (width == 4)
          out.emplace_back(int64_t{Load<uint32_t>(p)});
        else
          return bad(absl::StrCat("unsupported unsigned width ", width));
        break;
      case 'f':
        if (width == 4)
          out.emplace_back(static_cast<double>(Load<float>(p)));
        else if (width == 8)
          out.emplace_back(Load<double>(p));
        else
          return bad(absl::StrCat("unsupported float width ", width));
        break;
      case 'U': {
        std::string s;
        for (int64_t k = 0; k < width; ++k) {
          uint32_t cp = Load<uint32_t>(p + 4 * k);
          if (cp == 0) break;
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return bad(absl::StrCat("row ", r, ": invalid character"));
          }
          AppendUtf8(cp, &s);
        }
        out.emplace_back(std::move(s));
        break;
      }
      default:
        return bad(absl::StrCat("unsupported dtype '",
                                internal::ValidUtf8(descr),
                                "' (expected bool, integers, floats or "
                                "unicode strings)"));
    }
  }
  return out;
}

int ImportTaskState::progress() const {
  if (phase == Phase::kCompleted) return 100;
  if (phase != Phase::kRunning || rows_total <= 0) return 0;
  return static_cast<int>(
      std::min<int64_t>(99, rows_imported * 100 / rows_total));
}

ImportManager::ImportManager(std::shared_ptr<Connection> connection,
                             std::string dir)
    : connection_(std::move(connection)), dir_(std::move(dir)) {
  worker_ = std::thread([this] { Work(); });
}

ImportManager::~ImportManager() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
}

absl::StatusOr<int64_t> ImportManager::Start(ImportTaskState task,
                                             const CallOptions& call) {
  if (dir_.empty()) {
    return absl::FailedPreconditionError(
        "import: cove-server has no import directory (start it with "
        "--import-dir DIR and place the files there)");
  }
  if (task.files.empty()) {
    return absl::InvalidArgumentError("import: no files given");
  }
  for (const std::string& f : task.files)
    COVE_RETURN_IF_ERROR(CheckRelative(f));
  absl::MutexLock lock(&mu_);
  task.id = next_id_++;
  task.phase = ImportTaskState::Phase::kPending;
  tasks_[task.id] = task;
  queue_.push_back({task.id, call});
  return task.id;
}

absl::StatusOr<ImportTaskState> ImportManager::Get(int64_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) {
    return absl::NotFoundError(absl::StrCat("import task ", id, " not found"));
  }
  return it->second;
}

std::vector<ImportTaskState> ImportManager::List(const std::string& collection,
                                                 const std::string& db_name,
                                                 int64_t limit) const {
  std::vector<ImportTaskState> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, t] : tasks_) {
    if (!collection.empty() &&
        (t.collection != collection || t.db_name != db_name)) {
      continue;
    }
    out.push_back(t);
  }
  if (limit > 0 && static_cast<int64_t>(out.size()) > limit) {
    out.erase(out.begin(), out.end() - limit);
  }
  return out;
}

void ImportManager::Update(int64_t id,
                           const std::function<void(ImportTaskState&)>& fn) {
  absl::MutexLock lock(&mu_);
  auto it = tasks_.find(id);
  if (it != tasks_.end()) fn(it->second);
}

void ImportManager::Work() {
  while (true) {
    Queued next;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ImportManager* m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(m->mu_) {
            return m->stopping_ || !m->queue_.empty();
          },
          this));
      if (stopping_) return;
      next = queue_.front();
      queue_.pop_front();
      tasks_[next.id].phase = ImportTaskState::Phase::kRunning;
    }
    absl::Status s = Run(next.id, next.call);
    Update(next.id, [&](ImportTaskState& t) {
      if (s.ok()) {
        t.phase = ImportTaskState::Phase::kCompleted;
      } else {
        t.phase = ImportTaskState::Phase::kFailed;
        t.failed_reason = internal::ValidUtf8(s.message());
      }
    });
  }
}

absl::StatusOr<std::vector<Row>> ImportManager::ReadRows(
    const ImportTaskState& task, const CollectionSchema& schema) {
  bool all_npy = true, all_json = true;
  for (const std::string& f : task.files) {
    all_npy = all_npy && absl::EndsWith(f, ".npy");
    all_json = all_json && absl::EndsWith(f, ".json");
  }
  if (all_json) {
    std::vector<Row> rows;
    for (const std::string& f : task.files) {
      COVE_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(dir_, f));
      COVE_ASSIGN_OR_RETURN(std::vector<Row> more, JsonRows(f, bytes, schema));
      for (Row& r : more) rows.push_back(std::move(r));
    }
    return rows;
  }
  if (!all_npy) {
    return absl::InvalidArgumentError(absl::StrCat(
        "import files: cove imports row-based JSON (.json) or NumPy (.npy, "
        "one file per field) files, one kind per task (got ",
        Quote(absl::StrJoin(task.files, ", ")),
        "; Parquet and CSV are not "
        "supported)"));
  }
  std::vector<Row> rows;
  int64_t n = -1;
  std::string first;
  for (const std::string& f : task.files) {
    std::string field = BaseName(f);
    field = field.substr(0, field.size() - 4);
    COVE_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(dir_, f));
    COVE_ASSIGN_OR_RETURN(std::vector<Value> values, ParseNpy(f, bytes));
    if (n < 0) {
      n = static_cast<int64_t>(values.size());
      first = f;
      rows.resize(values.size());
    } else if (static_cast<int64_t>(values.size()) != n) {
      return absl::InvalidArgumentError(absl::StrCat(
          "import file ", Quote(f), ": ", values.size(), " rows, but ",
          Quote(first), " has ", n, " (every field needs one value per row)"));
    }
    for (size_t r = 0; r < values.size(); ++r) {
      rows[r][field] = std::move(values[r]);
    }
  }
  return rows;
}

absl::Status ImportManager::Run(int64_t id, const CallOptions& call) {
  COVE_ASSIGN_OR_RETURN(ImportTaskState task, Get(id));
  COVE_ASSIGN_OR_RETURN(CollectionDescription d,
                        connection_->DescribeCollection(task.collection, call));
  COVE_ASSIGN_OR_RETURN(std::vector<Row> rows, ReadRows(task, d.schema));
  Update(id, [&](ImportTaskState& t) {
    t.rows_total = static_cast<int64_t>(rows.size());
  });
  for (size_t at = 0; at < rows.size(); at += kBatchRows) {
    InsertRequest insert;
    insert.collection_name = task.collection;
    insert.partition_name = task.partition;
    const size_t end = std::min(rows.size(), at + kBatchRows);
    insert.rows.assign(std::make_move_iterator(rows.begin() + at),
                       std::make_move_iterator(rows.begin() + end));
    auto result = connection_->Insert(insert, call);
    if (!result.ok()) {
      return absl::Status(
          result.status().code(),
          absl::StrCat("import rows ", at, " to ", end - 1, " (of ",
                       rows.size(), "; the rows before them were imported): ",
                       result.status().message()));
    }
    const bool auto_id = [&] {
      for (const FieldSchema& f : d.schema.fields) {
        if (f.is_primary_key) return f.auto_id;
      }
      return false;
    }();
    Update(id, [&](ImportTaskState& t) {
      t.rows_imported += result->count;
      if (auto_id) {
        for (const Value& v : result->ids) t.auto_ids.push_back(v);
      }
    });
  }
  return absl::OkStatus();
}

}  // namespace cove::server
