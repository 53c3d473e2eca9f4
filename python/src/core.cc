// cove._core: the pybind11 binding of the C++ client.
//
// It mirrors cove::Client and the types of include/cove/ with snake_case
// names; the pure-Python package `cove` (python/cove/) is what people use.
//
// Conventions:
//   - Every call into the client runs with the GIL released; arguments are
//     converted to C++ before, results to Python after.
//   - A non-OK absl::Status is raised through cove._errors._from_status, the
//     one place where codes become exception classes.
//   - Vectors: anything numpy can view as a float32 C-contiguous matrix is
//     read through the buffer protocol and copied once, into the request; a
//     float32 C-contiguous array is not copied before that.
//   - Values out: float vectors come back as float32 numpy arrays; JSON-like
//     values as None/bool/int/float/str/list/dict.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cove/cove.h"

namespace py = pybind11;

namespace cove_python {
namespace {

using cove::Value;

// --- errors ---------------------------------------------------------------

// Raises the Python exception for a non-OK status. Needs the GIL.
[[noreturn]] void RaiseStatus(const absl::Status& status) {
  // Leaked on purpose: no destructor runs at interpreter shutdown.
  static PyObject* factory = nullptr;
  const std::string message(status.message());
  const int code = static_cast<int>(status.code());
  if (factory == nullptr) {
    py::object f = py::module_::import("cove._errors").attr("_from_status");
    factory = f.release().ptr();
  }
  py::object exc = py::reinterpret_borrow<py::object>(factory)(code, message);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

void Check(const absl::Status& status) {
  if (!status.ok()) RaiseStatus(status);
}

template <typename T>
T Unwrap(absl::StatusOr<T> result) {
  if (!result.ok()) RaiseStatus(result.status());
  return *std::move(result);
}

[[noreturn]] void RaiseInvalid(const std::string& message) {
  RaiseStatus(absl::InvalidArgumentError(message));
}

// --- values ---------------------------------------------------------------

py::handle NumpyGeneric() {
  static PyObject* generic = nullptr;
  if (generic == nullptr) {
    py::object g = py::module_::import("numpy").attr("generic");
    generic = g.release().ptr();
  }
  return generic;
}

std::string TypeName(py::handle h) {
  return py::str(py::type::handle_of(h).attr("__name__"));
}

Value ToValue(py::handle h, const std::string& what);

Value ArrayToValue(const py::array& a, const std::string& what) {
  if (a.ndim() == 0) return ToValue(a.attr("item")(), what);
  const char kind = a.dtype().kind();
  if (a.ndim() == 1 && kind == 'f') {
    auto f =
        py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(
            a);
    if (!f) throw py::error_already_set();
    const float* p = f.data();
    return Value::FloatVector(std::vector<float>(p, p + f.size()));
  }
  if (a.ndim() == 1 && (kind == 'i' || kind == 'u')) {
    auto v =
        py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(
            a);
    if (!v) throw py::error_already_set();
    Value::Array out;
    out.reserve(v.size());
    for (py::ssize_t i = 0; i < v.size(); ++i) out.emplace_back(v.data()[i]);
    return Value(std::move(out));
  }
  return ToValue(a.attr("tolist")(), what);
}

// Converts a Python value: None, bool, int, float, str, list/tuple, dict
// (str keys), numpy scalars and arrays (a 1-D float array is a float vector).
Value ToValue(py::handle h, const std::string& what) {
  PyObject* o = h.ptr();
  if (o == Py_None) return Value();
  if (PyBool_Check(o)) return Value(o == Py_True);
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow != 0) {
      RaiseInvalid(what + ": integer out of the int64 range (got " +
                   std::string(py::str(h)) + ")");
    }
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    return Value(static_cast<int64_t>(v));
  }
  if (PyFloat_Check(o)) return Value(PyFloat_AS_DOUBLE(o));
  if (PyUnicode_Check(o)) return Value(h.cast<std::string>());
  if (PyDict_Check(o)) {
    Value::Object obj;
    for (auto item : py::reinterpret_borrow<py::dict>(h)) {
      if (!PyUnicode_Check(item.first.ptr())) {
        throw py::type_error(what + ": object keys must be str (got " +
                             TypeName(item.first) + ")");
      }
      std::string key = item.first.cast<std::string>();
      obj.emplace(key, ToValue(item.second, what + "." + key));
    }
    return Value(std::move(obj));
  }
  if (PyList_Check(o) || PyTuple_Check(o)) {
    py::sequence seq = py::reinterpret_borrow<py::sequence>(h);
    Value::Array arr;
    arr.reserve(seq.size());
    for (size_t i = 0; i < seq.size(); ++i) {
      arr.push_back(ToValue(seq[i], what));
    }
    return Value(std::move(arr));
  }
  if (py::isinstance<py::array>(h)) {
    return ArrayToValue(py::reinterpret_borrow<py::array>(h), what);
  }
  if (PyObject_IsInstance(o, NumpyGeneric().ptr()) == 1) {
    return ToValue(h.attr("item")(), what);
  }
  if (PyMapping_Check(o) && PyObject_HasAttrString(o, "items")) {
    return ToValue(py::dict(py::reinterpret_borrow<py::object>(h)), what);
  }
  throw py::type_error(what + ": unsupported value type " + TypeName(h) +
                       " (expected None, bool, int, float, str, list, dict "
                       "or a numpy array)");
}

py::object FromValue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return py::none();
    case Value::Kind::kBool:
      return py::bool_(v.AsBool());
    case Value::Kind::kInt:
      return py::int_(v.AsInt());
    case Value::Kind::kDouble:
      return py::float_(v.AsDouble());
    case Value::Kind::kString:
      return py::str(v.AsString());
    case Value::Kind::kArray: {
      const Value::Array& a = v.AsArray();
      py::list out(a.size());
      for (size_t i = 0; i < a.size(); ++i) {
        out[i] = FromValue(a[i]);
      }
      return std::move(out);
    }
    case Value::Kind::kObject: {
      py::dict out;
      for (const auto& [key, item] : v.AsObject()) {
        out[py::str(key)] = FromValue(item);
      }
      return std::move(out);
    }
    case Value::Kind::kFloatVector: {
      const std::vector<float>& f = v.AsFloatVector();
      py::array_t<float> out(static_cast<py::ssize_t>(f.size()));
      if (!f.empty()) std::memcpy(out.mutable_data(), f.data(), f.size() * 4);
      return std::move(out);
    }
  }
  return py::none();
}

cove::Row ToRow(py::handle h, size_t index) {
  const std::string where = "row " + std::to_string(index);
  if (!PyDict_Check(h.ptr())) {
    if (PyMapping_Check(h.ptr()) && PyObject_HasAttrString(h.ptr(), "items")) {
      return ToRow(py::dict(py::reinterpret_borrow<py::object>(h)), index);
    }
    throw py::type_error(where + ": expected a dict of field values (got " +
                         TypeName(h) + ")");
  }
  cove::Row row;
  for (auto item : py::reinterpret_borrow<py::dict>(h)) {
    if (!PyUnicode_Check(item.first.ptr())) {
      throw py::type_error(where + ": field names must be str (got " +
                           TypeName(item.first) + ")");
    }
    std::string key = item.first.cast<std::string>();
    row.emplace(key, ToValue(item.second, where + ": field '" + key + "'"));
  }
  return row;
}

std::vector<cove::Row> ToRows(py::handle rows) {
  std::vector<cove::Row> out;
  if (PyDict_Check(rows.ptr())) {
    out.push_back(ToRow(rows, 0));
    return out;
  }
  size_t i = 0;
  for (py::handle row : rows) out.push_back(ToRow(row, i++));
  return out;
}

py::dict FromRow(const cove::Row& row) {
  py::dict out;
  for (const auto& [key, v] : row) out[py::str(key)] = FromValue(v);
  return out;
}

py::list FromRows(const std::vector<cove::Row>& rows) {
  py::list out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out[i] = FromRow(rows[i]);
  return out;
}

std::vector<Value> ToValues(py::handle h, const std::string& what) {
  std::vector<Value> out;
  if (h.is_none()) return out;
  if (py::isinstance<py::array>(h)) {
    py::array a = py::reinterpret_borrow<py::array>(h);
    const char kind = a.dtype().kind();
    if (a.ndim() == 1 && (kind == 'i' || kind == 'u')) {
      auto v = py::array_t<int64_t, py::array::c_style |
                                        py::array::forcecast>::ensure(a);
      if (!v) throw py::error_already_set();
      out.reserve(v.size());
      for (py::ssize_t i = 0; i < v.size(); ++i) out.emplace_back(v.data()[i]);
      return out;
    }
    return ToValues(a.attr("tolist")(), what);
  }
  if (PyUnicode_Check(h.ptr()) || PyLong_Check(h.ptr())) {
    out.push_back(ToValue(h, what));
    return out;
  }
  for (py::handle item : h) out.push_back(ToValue(item, what));
  return out;
}

py::list FromValues(const std::vector<Value>& values) {
  py::list out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = FromValue(values[i]);
  return out;
}

std::map<std::string, Value> ToValueMap(py::handle h, const std::string& what) {
  std::map<std::string, Value> out;
  if (h.is_none()) return out;
  for (auto item : py::reinterpret_borrow<py::dict>(h)) {
    std::string key = py::str(item.first);
    out.emplace(key, ToValue(item.second, what + " '" + key + "'"));
  }
  return out;
}

std::vector<std::string> ToStrings(py::handle h) {
  std::vector<std::string> out;
  if (h.is_none()) return out;
  if (PyUnicode_Check(h.ptr())) {
    out.push_back(h.cast<std::string>());
    return out;
  }
  for (py::handle item : h) out.push_back(py::str(item));
  return out;
}

// A matrix of float32 query or insert vectors, read through the buffer
// protocol: a float32 C-contiguous array is used in place (no copy); other
// inputs (lists, float64 arrays, strided views) are converted by numpy.
struct FloatMatrix {
  py::array_t<float, py::array::c_style | py::array::forcecast> array;
  size_t rows = 0;
  size_t dim = 0;
  const float* data() const { return array.data(); }
};

FloatMatrix ToFloatMatrix(py::handle h, const std::string& what) {
  FloatMatrix m;
  m.array =
      py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(h);
  if (!m.array) {
    PyErr_Clear();
    RaiseInvalid(what +
                 ": expected a float vector or a matrix of vectors "
                 "(got " +
                 TypeName(h) + ")");
  }
  if (m.array.ndim() == 1) {
    m.rows = m.array.shape(0) == 0 ? 0 : 1;
    m.dim = m.array.shape(0);
  } else if (m.array.ndim() == 2) {
    m.rows = m.array.shape(0);
    m.dim = m.array.shape(1);
  } else {
    RaiseInvalid(what + ": expected 1 or 2 dimensions (got " +
                 std::to_string(m.array.ndim()) + ")");
  }
  if (m.rows == 0 || m.dim == 0) {
    RaiseInvalid(what + ": no vectors given");
  }
  return m;
}

// --- options ----------------------------------------------------------------

std::optional<double> ToSeconds(
    const std::optional<std::chrono::milliseconds>& ms) {
  if (!ms.has_value()) return std::nullopt;
  return static_cast<double>(ms->count()) / 1000.0;
}

std::chrono::milliseconds FromSeconds(double seconds, const char* what) {
  if (!std::isfinite(seconds) || seconds < 0) {
    RaiseInvalid(std::string(what) +
                 ": expected a non-negative number of seconds");
  }
  return std::chrono::milliseconds(
      static_cast<int64_t>(std::llround(seconds * 1000.0)));
}

// --- the client -------------------------------------------------------------

// Holds a cove::Client; close() drops it (the embedded backend then writes its
// checkpoint and releases the data directory). Calls in flight on other
// threads keep their own copy of the handle until they return.
class PyClient {
 public:
  explicit PyClient(cove::Client client)
      : client_(std::make_unique<cove::Client>(std::move(client))) {}

  // The embedded backend checkpoints when the last handle goes: do that
  // without the GIL (other Python threads keep running).
  ~PyClient() {
    if (client_ != nullptr && PyGILState_Check() == 1) {
      py::gil_scoped_release nogil;
      client_.reset();
    }
  }

  static std::unique_ptr<PyClient> Open(const std::string& uri,
                                        const cove::ClientOptions& options) {
    absl::StatusOr<cove::Client> client;
    {
      py::gil_scoped_release nogil;
      client = cove::Client::Open(uri, options);
    }
    return std::make_unique<PyClient>(Unwrap(std::move(client)));
  }

  // A copy of the handle, or FailedPrecondition when closed. Needs the GIL.
  cove::Client Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (client_ == nullptr) {
      RaiseStatus(
          absl::FailedPreconditionError("client: the client is closed"));
    }
    return *client_;
  }

  void Close() {
    std::unique_ptr<cove::Client> client;
    {
      std::lock_guard<std::mutex> lock(mu_);
      client = std::move(client_);
    }
    py::gil_scoped_release nogil;
    client.reset();
  }

  bool closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return client_ == nullptr;
  }

  std::string backend_name() { return Get().connection()->backend_name(); }

  // Runs fn(client) with the GIL released; raises on error.
  template <typename F>
  auto Run(F fn) {
    std::optional<cove::Client> client(Get());
    using R = decltype(fn(*client));
    std::optional<R> result;
    {
      py::gil_scoped_release nogil;
      result.emplace(fn(*client));
      // The handle copy is dropped without the GIL too (it may be the last).
      client.reset();
    }
    if constexpr (std::is_same_v<R, absl::Status>) {
      Check(*result);
    } else {
      return Unwrap(std::move(*result));
    }
  }

 private:
  std::mutex mu_;
  std::unique_ptr<cove::Client> client_;
};

cove::InsertRequest MakeInsertRequest(const std::string& collection,
                                      py::handle rows, py::handle columns,
                                      const std::string& partition) {
  cove::InsertRequest request;
  request.collection_name = collection;
  request.partition_name = partition;
  if (!rows.is_none() && !columns.is_none()) {
    RaiseInvalid("insert: give rows or columns, not both");
  }
  if (!rows.is_none()) request.rows = ToRows(rows);
  if (!columns.is_none()) {
    for (auto item : py::reinterpret_borrow<py::dict>(columns)) {
      std::string name = py::str(item.first);
      py::handle data = item.second;
      const std::string what = "insert column '" + name + "'";
      if (py::isinstance<py::array>(data)) {
        py::array a = py::reinterpret_borrow<py::array>(data);
        if (a.ndim() == 2 && a.dtype().kind() == 'f') {
          FloatMatrix m = ToFloatMatrix(a, what);
          request.columns.push_back(cove::Column::FloatVectors(
              name, m.dim,
              std::vector<float>(m.data(), m.data() + m.rows * m.dim)));
          continue;
        }
        if (a.ndim() != 1) {
          RaiseInvalid(what +
                       ": expected a 1-D array of scalars or a 2-D "
                       "float array of vectors (got " +
                       std::to_string(a.ndim()) + " dimensions)");
        }
      }
      request.columns.push_back(
          cove::Column::Scalars(name, ToValues(data, what)));
    }
  }
  return request;
}

py::dict FromMutation(const cove::MutationResult& r) {
  py::dict out;
  out["count"] = r.count;
  out["ids"] = FromValues(r.ids);
  return out;
}

// Search results: per query a tuple (ids, distances, entities): ids an int64
// numpy array (or a list of str for VARCHAR keys), distances a float32 numpy
// array, entities a list of dicts.
py::list FromSearchResults(const cove::SearchResults& results) {
  py::list out(results.hits.size());
  for (size_t q = 0; q < results.hits.size(); ++q) {
    const std::vector<cove::Hit>& hits = results.hits[q];
    const auto n = static_cast<py::ssize_t>(hits.size());
    py::array_t<float> distances(n);
    float* d = distances.mutable_data();
    bool int_ids = true;
    for (const cove::Hit& h : hits) int_ids = int_ids && h.id.is_int();
    py::object ids;
    if (int_ids) {
      py::array_t<int64_t> a(n);
      int64_t* p = a.mutable_data();
      for (py::ssize_t i = 0; i < n; ++i) p[i] = hits[i].id.AsInt();
      ids = std::move(a);
    } else {
      py::list l(n);
      for (py::ssize_t i = 0; i < n; ++i) l[i] = FromValue(hits[i].id);
      ids = std::move(l);
    }
    py::list entities(n);
    for (py::ssize_t i = 0; i < n; ++i) {
      d[i] = hits[i].distance;
      entities[i] = FromRow(hits[i].entity);
    }
    out[q] = py::make_tuple(ids, distances, entities);
  }
  return out;
}

template <typename T>
py::object OptionalValue(const std::optional<T>& v) {
  if (!v.has_value()) return py::none();
  return FromValue(*v);
}

// QueryIterator / SearchIterator: not thread-safe in C++, so each wrapper
// serializes its own calls (the lock is taken without the GIL).
template <typename It>
class PyIterator {
 public:
  explicit PyIterator(It it) : it_(std::move(it)) {}
  // Ends the iteration and releases its snapshot now (the Python layer calls
  // it when a generator ends, so that dropping the iterator later, under the
  // GIL, makes no network call).
  absl::Status Close() {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(mu_);
    return it_.Close();
  }

  template <typename R>
  R Next() {
    std::optional<R> result;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(mu_);
      result.emplace(it_.Next());
    }
    return std::move(*result);
  }

  bool done() {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(mu_);
    return it_.done();
  }

 private:
  std::mutex mu_;
  It it_;
};

using PyQueryIterator = PyIterator<cove::QueryIterator>;
using PySearchIterator = PyIterator<cove::SearchIterator>;

// A request's vectors: one query vector for a search iterator.
void FillVectors(cove::SearchRequest* req, py::handle vectors) {
  FloatMatrix m = ToFloatMatrix(vectors, "search: data");
  req->dim = m.dim;
  // The one copy: from the caller's buffer into the request.
  req->vectors.assign(m.data(), m.data() + m.rows * m.dim);
}

void BindEnums(py::module_& m) {
  py::enum_<cove::DataType>(m, "DataType", "Field data types (Milvus numbers).")
      .value("NONE", cove::DataType::kNone)
      .value("BOOL", cove::DataType::kBool)
      .value("INT8", cove::DataType::kInt8)
      .value("INT16", cove::DataType::kInt16)
      .value("INT32", cove::DataType::kInt32)
      .value("INT64", cove::DataType::kInt64)
      .value("FLOAT", cove::DataType::kFloat)
      .value("DOUBLE", cove::DataType::kDouble)
      .value("VARCHAR", cove::DataType::kVarChar)
      .value("ARRAY", cove::DataType::kArray)
      .value("JSON", cove::DataType::kJson)
      .value("FLOAT_VECTOR", cove::DataType::kFloatVector);
  py::enum_<cove::MetricType>(m, "MetricType", "Similarity measures.")
      .value("L2", cove::MetricType::kL2)
      .value("IP", cove::MetricType::kIP)
      .value("COSINE", cove::MetricType::kCosine);
  py::enum_<cove::IndexType>(m, "IndexType", "Vector index types.")
      .value("FLAT", cove::IndexType::kFlat)
      .value("IVF_FLAT", cove::IndexType::kIvfFlat)
      .value("IVF_SQ8", cove::IndexType::kIvfSq8)
      .value("HNSW", cove::IndexType::kHnsw)
      .value("HNSW_SQ", cove::IndexType::kHnswSq)
      .value("AUTOINDEX", cove::IndexType::kAutoIndex);
  py::enum_<cove::LoadState>(m, "LoadState", "Load states (Milvus LoadState).")
      .value("NOT_EXIST", cove::LoadState::kNotExist)
      .value("NOT_LOADED", cove::LoadState::kNotLoaded)
      .value("LOADING", cove::LoadState::kLoading)
      .value("LOADED", cove::LoadState::kLoaded);
  m.def("data_type_name", &cove::DataTypeName, py::arg("type"),
        "'BOOL', 'INT64', 'FLOAT_VECTOR', ... as Milvus spells them.");
  m.def("metric_type_name", &cove::MetricTypeName, py::arg("metric"),
        "'L2', 'IP' or 'COSINE'.");
  m.def("index_type_name", &cove::IndexTypeName, py::arg("type"),
        "'FLAT', 'IVF_FLAT', 'IVF_SQ8', 'HNSW', 'HNSW_SQ' or 'AUTOINDEX'.");
}

void BindOptions(py::module_& m) {
  py::class_<cove::EmbeddedOptions> embedded(
      m, "EmbeddedOptions", "Options of the embedded (in-process) backend.");
  py::enum_<cove::EmbeddedOptions::SyncPolicy>(
      embedded, "SyncPolicy", "When the write-ahead log is fsynced.")
      .value("PER_BATCH", cove::EmbeddedOptions::SyncPolicy::kPerBatch)
      .value("NONE", cove::EmbeddedOptions::SyncPolicy::kNone);
  embedded.def(py::init<>())
      .def_readwrite("sync", &cove::EmbeddedOptions::sync)
      .def_readwrite("read_only", &cove::EmbeddedOptions::read_only)
      .def_readwrite("encryption_key", &cove::EmbeddedOptions::encryption_key)
      .def_readwrite("encryption_key_file",
                     &cove::EmbeddedOptions::encryption_key_file)
      .def_readwrite("encryption_key_env",
                     &cove::EmbeddedOptions::encryption_key_env)
      .def_readwrite("index_threads", &cove::EmbeddedOptions::index_threads)
      .def(
          "validate",
          [](const cove::EmbeddedOptions& o) { Check(o.Validate()); },
          "Raises InvalidArgumentError naming the field out of range.");

  py::class_<cove::RemoteOptions>(
      m, "RemoteOptions", "Options of the remote (Milvus gRPC) backend.")
      .def(py::init<>())
      .def_readwrite("token", &cove::RemoteOptions::token)
      .def_readwrite("user", &cove::RemoteOptions::user)
      .def_readwrite("password", &cove::RemoteOptions::password)
      .def_readwrite("db_name", &cove::RemoteOptions::db_name)
      .def_readwrite("ca_cert_file", &cove::RemoteOptions::ca_cert_file)
      .def_readwrite("client_cert_file", &cove::RemoteOptions::client_cert_file)
      .def_readwrite("client_key_file", &cove::RemoteOptions::client_key_file)
      .def_readwrite("server_name", &cove::RemoteOptions::server_name)
      .def_readwrite("dangerously_skip_tls_verification",
                     &cove::RemoteOptions::dangerously_skip_tls_verification)
      .def_property(
          "timeout",
          [](const cove::RemoteOptions& o) { return *ToSeconds(o.timeout); },
          [](cove::RemoteOptions& o, double s) {
            o.timeout = FromSeconds(s, "RemoteOptions.timeout");
          },
          "Default deadline of each call, in seconds.")
      .def_readwrite("max_attempts", &cove::RemoteOptions::max_attempts)
      .def(
          "validate", [](const cove::RemoteOptions& o) { Check(o.Validate()); },
          "Raises InvalidArgumentError naming the field out of range.");

  py::class_<cove::ClientOptions>(m, "ClientOptions",
                                  "All client options; the URI decides which "
                                  "part is used.")
      .def(py::init<>())
      .def_readwrite("embedded", &cove::ClientOptions::embedded)
      .def_readwrite("remote", &cove::ClientOptions::remote)
      .def(
          "validate", [](const cove::ClientOptions& o) { Check(o.Validate()); },
          "Raises InvalidArgumentError naming the field out of range.");
  m.def("apply_environment", &cove::ApplyEnvironment, py::arg("options"),
        "Fills unset options from COVE_TOKEN, COVE_USER, COVE_PASSWORD, "
        "COVE_DB_NAME, COVE_TIMEOUT_MS, COVE_ENCRYPTION_KEY_FILE.");

  py::class_<cove::CallOptions>(m, "CallOptions", "Per-call overrides.")
      .def(py::init([](std::optional<double> timeout, std::string db_name) {
             cove::CallOptions c;
             if (timeout.has_value()) {
               c.timeout = FromSeconds(*timeout, "timeout");
             }
             c.db_name = std::move(db_name);
             return c;
           }),
           py::arg("timeout") = py::none(), py::arg("db_name") = "")
      .def_property(
          "timeout",
          [](const cove::CallOptions& c) { return ToSeconds(c.timeout); },
          [](cove::CallOptions& c, std::optional<double> s) {
            if (s.has_value()) {
              c.timeout = FromSeconds(*s, "timeout");
            } else {
              c.timeout.reset();
            }
          },
          "Deadline of this call in seconds (None: the client's).")
      .def_readwrite("db_name", &cove::CallOptions::db_name,
                     "Database of this call (empty: the client's).");
}

void BindTypes(py::module_& m) {
  py::class_<cove::FieldSchema>(m, "FieldSchema", "One field of a schema.")
      .def(py::init<>())
      .def_readwrite("name", &cove::FieldSchema::name)
      .def_readwrite("type", &cove::FieldSchema::type)
      .def_readwrite("description", &cove::FieldSchema::description)
      .def_readwrite("is_primary_key", &cove::FieldSchema::is_primary_key)
      .def_readwrite("auto_id", &cove::FieldSchema::auto_id)
      .def_readwrite("max_length", &cove::FieldSchema::max_length)
      .def_readwrite("dim", &cove::FieldSchema::dim)
      .def_readwrite("element_type", &cove::FieldSchema::element_type)
      .def_readwrite("max_capacity", &cove::FieldSchema::max_capacity)
      .def_readwrite("nullable", &cove::FieldSchema::nullable)
      .def_property(
          "default_value",
          [](const cove::FieldSchema& f) {
            return OptionalValue(f.default_value);
          },
          [](cove::FieldSchema& f, py::object v) {
            if (v.is_none()) {
              f.default_value.reset();
            } else {
              f.default_value = ToValue(v, "default_value");
            }
          },
          "Value used when a row omits the field (None: no default).");

  py::class_<cove::CollectionSchema>(m, "CollectionSchema",
                                     "A collection schema.")
      .def(py::init<>())
      .def_readwrite("fields", &cove::CollectionSchema::fields,
                     "The fields (a copy; use add_field to append).")
      .def_readwrite("enable_dynamic_field",
                     &cove::CollectionSchema::enable_dynamic_field)
      .def_readwrite("description", &cove::CollectionSchema::description)
      .def(
          "add_field",
          [](cove::CollectionSchema& s, const cove::FieldSchema& f)
              -> cove::CollectionSchema& { return s.AddField(f); },
          py::arg("field"), py::return_value_policy::reference_internal,
          "Appends a field and returns the schema.");

  py::class_<cove::IndexSpec>(m, "IndexSpec", "An index on a vector field.")
      .def(py::init<>())
      .def_readwrite("field_name", &cove::IndexSpec::field_name)
      .def_readwrite("index_name", &cove::IndexSpec::index_name)
      .def_readwrite("index_type", &cove::IndexSpec::index_type)
      .def_readwrite("metric_type", &cove::IndexSpec::metric_type)
      .def_readwrite("params", &cove::IndexSpec::params,
                     "Build parameters: 'M', 'efConstruction', 'nlist'.");

  py::class_<cove::QuickCollectionOptions>(
      m, "QuickCollectionOptions",
      "Options of the quick form of create_collection.")
      .def(py::init<>())
      .def_readwrite("metric_type", &cove::QuickCollectionOptions::metric_type)
      .def_readwrite("primary_field_name",
                     &cove::QuickCollectionOptions::primary_field_name)
      .def_readwrite("vector_field_name",
                     &cove::QuickCollectionOptions::vector_field_name)
      .def_readwrite("id_type", &cove::QuickCollectionOptions::id_type)
      .def_readwrite("max_length", &cove::QuickCollectionOptions::max_length)
      .def_readwrite("auto_id", &cove::QuickCollectionOptions::auto_id);

  py::class_<cove::CollectionDescription>(m, "CollectionDescription",
                                          "What describe_collection returns.")
      .def_readonly("name", &cove::CollectionDescription::name)
      .def_readonly("collection_id",
                    &cove::CollectionDescription::collection_id)
      .def_readonly("schema", &cove::CollectionDescription::schema)
      .def_readonly("aliases", &cove::CollectionDescription::aliases)
      .def_readonly("partitions", &cove::CollectionDescription::partitions)
      .def_readonly("created_timestamp",
                    &cove::CollectionDescription::created_timestamp)
      .def_readonly("num_shards", &cove::CollectionDescription::num_shards);

  py::class_<cove::IndexDescription>(m, "IndexDescription",
                                     "An index as created.")
      .def_readonly("index_name", &cove::IndexDescription::index_name)
      .def_readonly("field_name", &cove::IndexDescription::field_name)
      .def_readonly("index_type", &cove::IndexDescription::index_type)
      .def_readonly("metric_type", &cove::IndexDescription::metric_type)
      .def_readonly("params", &cove::IndexDescription::params)
      .def_readonly("indexed_rows", &cove::IndexDescription::indexed_rows)
      .def_readonly("total_rows", &cove::IndexDescription::total_rows)
      .def_readonly("state", &cove::IndexDescription::state);

  py::class_<cove::AliasDescription>(m, "AliasDescription",
                                     "What describe_alias returns.")
      .def_readonly("alias", &cove::AliasDescription::alias)
      .def_readonly("collection", &cove::AliasDescription::collection)
      .def_readonly("db_name", &cove::AliasDescription::db_name);

  py::class_<cove::UserInfo>(m, "UserInfo", "A user and its roles.")
      .def_readonly("name", &cove::UserInfo::name)
      .def_readonly("roles", &cove::UserInfo::roles);
  py::class_<cove::RoleInfo>(m, "RoleInfo", "A role and its users.")
      .def_readonly("name", &cove::RoleInfo::name)
      .def_readonly("users", &cove::RoleInfo::users);
  py::class_<cove::Grant>(m, "Grant", "A privilege granted to a role.")
      .def(py::init<>())
      .def_readwrite("role", &cove::Grant::role)
      .def_readwrite("object_type", &cove::Grant::object_type)
      .def_readwrite("object_name", &cove::Grant::object_name)
      .def_readwrite("privilege", &cove::Grant::privilege)
      .def_readwrite("db_name", &cove::Grant::db_name)
      .def_readwrite("grantor", &cove::Grant::grantor);
}

void BindClient(py::module_& m) {
  using cove::CallOptions;
  using cove::Client;
  const auto call = py::arg("call") = CallOptions();

  py::class_<PyClient>(m, "Client",
                       "cove::Client: one handle for every backend; the URI "
                       "picks it (a path or ':memory:' is embedded, "
                       "http(s)://host:port is remote). Thread-safe.")
      .def_static("open", &PyClient::Open, py::arg("uri"),
                  py::arg("options") = cove::ClientOptions(),
                  "Opens a client for `uri`.")
      .def("close", &PyClient::Close,
           "Drops the connection (the embedded backend checkpoints and "
           "releases its data directory). Idempotent.")
      .def_property_readonly("closed", &PyClient::closed, "True after close().")
      .def_property_readonly("backend_name", &PyClient::backend_name,
                             "'embedded' or 'remote'.")
      .def(
          "get_server_version",
          [](PyClient& c, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.GetServerVersion(o); });
          },
          call, "Version of the server (remote) or library (embedded).")
      .def(
          "check_health",
          [](PyClient& c, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.CheckHealth(o); });
          },
          call, "Raises unless the backend can serve requests.")
      // Databases.
      .def(
          "create_database",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.CreateDatabase(name, o); });
          },
          py::arg("name"), call, "Creates a database.")
      .def(
          "drop_database",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.DropDatabase(name, o); });
          },
          py::arg("name"), call, "Drops an empty database.")
      .def(
          "list_databases",
          [](PyClient& c, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.ListDatabases(o); });
          },
          call, "Names of the databases.")
      // Collections.
      .def(
          "create_collection",
          [](PyClient& c, const std::string& name, int64_t dim,
             const cove::QuickCollectionOptions& quick, const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.CreateCollection(name, dim, quick, o);
            });
          },
          py::arg("name"), py::arg("dim"),
          py::arg("quick") = cove::QuickCollectionOptions(), call,
          "Quick form: an 'id' key, a 'vector' field of `dim` dimensions, "
          "dynamic fields, AUTOINDEX, loaded.")
      .def(
          "create_collection",
          [](PyClient& c, const std::string& name,
             const cove::CollectionSchema& schema,
             const std::vector<cove::IndexSpec>& indexes,
             const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.CreateCollection(name, schema, indexes, o);
            });
          },
          py::arg("name"), py::arg("schema"),
          py::arg("indexes") = std::vector<cove::IndexSpec>(), call,
          "Creates a collection from a schema, with optional indexes.")
      .def(
          "drop_collection",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.DropCollection(name, o); });
          },
          py::arg("name"), call, "Drops a collection.")
      .def(
          "has_collection",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.HasCollection(name, o); });
          },
          py::arg("name"), call, "True when the collection exists.")
      .def(
          "list_collections",
          [](PyClient& c, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.ListCollections(o); });
          },
          call, "Names of the collections of the database.")
      .def(
          "describe_collection",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            return c.Run(
                [&](Client& cl) { return cl.DescribeCollection(name, o); });
          },
          py::arg("name"), call, "Schema, aliases, partitions, ...")
      .def(
          "rename_collection",
          [](PyClient& c, const std::string& old_name,
             const std::string& new_name, const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.RenameCollection(old_name, new_name, o);
            });
          },
          py::arg("old_name"), py::arg("new_name"), call,
          "Renames a collection.")
      .def(
          "get_collection_stats",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            cove::CollectionStats s = c.Run(
                [&](Client& cl) { return cl.GetCollectionStats(name, o); });
            py::dict out;
            out["row_count"] = s.row_count;
            return out;
          },
          py::arg("name"), call, "{'row_count': n}.")
      // Partitions.
      .def(
          "create_partition",
          [](PyClient& c, const std::string& coll, const std::string& part,
             const CallOptions& o) {
            c.Run(
                [&](Client& cl) { return cl.CreatePartition(coll, part, o); });
          },
          py::arg("collection"), py::arg("partition"), call,
          "Creates a partition.")
      .def(
          "drop_partition",
          [](PyClient& c, const std::string& coll, const std::string& part,
             const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.DropPartition(coll, part, o); });
          },
          py::arg("collection"), py::arg("partition"), call,
          "Drops a partition and its rows.")
      .def(
          "has_partition",
          [](PyClient& c, const std::string& coll, const std::string& part,
             const CallOptions& o) {
            return c.Run(
                [&](Client& cl) { return cl.HasPartition(coll, part, o); });
          },
          py::arg("collection"), py::arg("partition"), call,
          "True when the partition exists.")
      .def(
          "list_partitions",
          [](PyClient& c, const std::string& coll, const CallOptions& o) {
            return c.Run(
                [&](Client& cl) { return cl.ListPartitions(coll, o); });
          },
          py::arg("collection"), call, "Names of the partitions.")
      // Aliases.
      .def(
          "create_alias",
          [](PyClient& c, const std::string& coll, const std::string& alias,
             const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.CreateAlias(coll, alias, o); });
          },
          py::arg("collection"), py::arg("alias"), call, "Creates an alias.")
      .def(
          "drop_alias",
          [](PyClient& c, const std::string& alias, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.DropAlias(alias, o); });
          },
          py::arg("alias"), call, "Drops an alias.")
      .def(
          "alter_alias",
          [](PyClient& c, const std::string& coll, const std::string& alias,
             const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.AlterAlias(coll, alias, o); });
          },
          py::arg("collection"), py::arg("alias"), call,
          "Points an alias at another collection.")
      .def(
          "describe_alias",
          [](PyClient& c, const std::string& alias, const CallOptions& o) {
            return c.Run(
                [&](Client& cl) { return cl.DescribeAlias(alias, o); });
          },
          py::arg("alias"), call, "The alias and its collection.")
      .def(
          "list_aliases",
          [](PyClient& c, const std::string& coll, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.ListAliases(coll, o); });
          },
          py::arg("collection"), call, "Aliases of a collection.")
      // Loading.
      .def(
          "load_collection",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.LoadCollection(name, o); });
          },
          py::arg("name"), call, "Loads a collection for search and query.")
      .def(
          "release_collection",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.ReleaseCollection(name, o); });
          },
          py::arg("name"), call, "Releases a loaded collection.")
      .def(
          "get_load_state",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.GetLoadState(name, o); });
          },
          py::arg("name"), call, "The LoadState of a collection.")
      // Indexes.
      .def(
          "create_index",
          [](PyClient& c, const std::string& coll, const cove::IndexSpec& index,
             const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.CreateIndex(coll, index, o); });
          },
          py::arg("collection"), py::arg("index"), call,
          "Creates an index (builds it).")
      .def(
          "describe_indexes",
          [](PyClient& c, const std::string& coll, const CallOptions& o) {
            return c.Run(
                [&](Client& cl) { return cl.DescribeIndexes(coll, o); });
          },
          py::arg("collection"), call, "The indexes of a collection.")
      .def(
          "drop_index",
          [](PyClient& c, const std::string& coll, const std::string& index,
             const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.DropIndex(coll, index, o); });
          },
          py::arg("collection"), py::arg("index_name"), call, "Drops an index.")
      // Data.
      .def(
          "insert",
          [](PyClient& c, const std::string& coll, py::object rows,
             py::object columns, const std::string& partition,
             const CallOptions& o) {
            cove::InsertRequest req =
                MakeInsertRequest(coll, rows, columns, partition);
            cove::MutationResult r =
                c.Run([&](Client& cl) { return cl.Insert(req, o); });
            return FromMutation(r);
          },
          py::arg("collection"), py::arg("rows") = py::none(),
          py::arg("columns") = py::none(), py::arg("partition_name") = "", call,
          "Inserts rows (a list of dicts) or columns (a dict of lists or "
          "arrays; a 2-D float array is a vector column). Returns "
          "{'count': n, 'ids': [...]}.")
      .def(
          "upsert",
          [](PyClient& c, const std::string& coll, py::object rows,
             py::object columns, const std::string& partition,
             const CallOptions& o) {
            cove::InsertRequest req =
                MakeInsertRequest(coll, rows, columns, partition);
            cove::MutationResult r =
                c.Run([&](Client& cl) { return cl.Upsert(req, o); });
            return FromMutation(r);
          },
          py::arg("collection"), py::arg("rows") = py::none(),
          py::arg("columns") = py::none(), py::arg("partition_name") = "", call,
          "Inserts, or replaces rows whose primary key exists.")
      .def(
          "delete",
          [](PyClient& c, const std::string& coll, py::object ids,
             const std::string& filter, py::object filter_params,
             const std::string& partition, const CallOptions& o) {
            cove::DeleteRequest req;
            req.collection_name = coll;
            req.partition_name = partition;
            req.ids = ToValues(ids, "delete: ids");
            req.filter = filter;
            req.filter_params = ToValueMap(filter_params, "filter_params");
            cove::MutationResult r =
                c.Run([&](Client& cl) { return cl.Delete(req, o); });
            return FromMutation(r);
          },
          py::arg("collection"), py::arg("ids") = py::none(),
          py::arg("filter") = "", py::arg("filter_params") = py::none(),
          py::arg("partition_name") = "", call,
          "Deletes by primary keys or by filter.")
      .def(
          "search",
          [](PyClient& c, const std::string& coll, py::object vectors,
             int64_t limit, const std::string& filter, py::object filter_params,
             py::object output_fields, const std::string& anns_field,
             py::object partition_names, int64_t offset,
             std::optional<cove::MetricType> metric, py::object params,
             const CallOptions& o) {
            cove::SearchRequest req;
            req.collection_name = coll;
            FillVectors(&req, vectors);
            req.limit = limit;
            req.offset = offset;
            req.filter = filter;
            req.filter_params = ToValueMap(filter_params, "filter_params");
            req.output_fields = ToStrings(output_fields);
            req.anns_field = anns_field;
            req.partition_names = ToStrings(partition_names);
            req.metric_type = metric;
            req.params = ToValueMap(params, "search params");
            cove::SearchResults r =
                c.Run([&](Client& cl) { return cl.Search(req, o); });
            return FromSearchResults(r);
          },
          py::arg("collection"), py::arg("vectors"), py::arg("limit") = 10,
          py::arg("filter") = "", py::arg("filter_params") = py::none(),
          py::arg("output_fields") = py::none(), py::arg("anns_field") = "",
          py::arg("partition_names") = py::none(), py::arg("offset") = 0,
          py::arg("metric_type") = py::none(), py::arg("params") = py::none(),
          call,
          "Searches nq query vectors (a float32 (nq, dim) array is read in "
          "place). Returns per query (ids, distances, entities).")
      .def(
          "query",
          [](PyClient& c, const std::string& coll, const std::string& filter,
             py::object filter_params, py::object ids, py::object output_fields,
             int64_t limit, int64_t offset, py::object partition_names,
             const CallOptions& o) {
            cove::QueryRequest req;
            req.collection_name = coll;
            req.filter = filter;
            req.filter_params = ToValueMap(filter_params, "filter_params");
            req.ids = ToValues(ids, "query: ids");
            req.output_fields = ToStrings(output_fields);
            req.limit = limit;
            req.offset = offset;
            req.partition_names = ToStrings(partition_names);
            std::vector<cove::Row> rows =
                c.Run([&](Client& cl) { return cl.Query(req, o); });
            return FromRows(rows);
          },
          py::arg("collection"), py::arg("filter") = "",
          py::arg("filter_params") = py::none(), py::arg("ids") = py::none(),
          py::arg("output_fields") = py::none(), py::arg("limit") = 0,
          py::arg("offset") = 0, py::arg("partition_names") = py::none(), call,
          "Rows matching a filter (or ids), as dicts.")
      .def(
          "get",
          [](PyClient& c, const std::string& coll, py::object ids,
             py::object output_fields, const CallOptions& o) {
            std::vector<Value> keys = ToValues(ids, "get: ids");
            std::vector<std::string> fields = ToStrings(output_fields);
            std::vector<cove::Row> rows = c.Run([&](Client& cl) {
              return cl.Get(coll, std::move(keys), std::move(fields), o);
            });
            return FromRows(rows);
          },
          py::arg("collection"), py::arg("ids"),
          py::arg("output_fields") = py::none(), call,
          "Rows by primary key (missing keys are skipped).")
      .def(
          "flush",
          [](PyClient& c, const std::string& coll, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.Flush(coll, o); });
          },
          py::arg("collection"), call, "Makes all writes durable.")
      // Users, roles, privileges.
      .def(
          "create_user",
          [](PyClient& c, const std::string& user, const std::string& pw,
             const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.CreateUser(user, pw, o); });
          },
          py::arg("user"), py::arg("password"), call, "Creates a user.")
      .def(
          "update_password",
          [](PyClient& c, const std::string& user, const std::string& old_pw,
             const std::string& new_pw, const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.UpdatePassword(user, old_pw, new_pw, o);
            });
          },
          py::arg("user"), py::arg("old_password"), py::arg("new_password"),
          call, "Changes a user's password.")
      .def(
          "drop_user",
          [](PyClient& c, const std::string& user, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.DropUser(user, o); });
          },
          py::arg("user"), call, "Drops a user.")
      .def(
          "list_users",
          [](PyClient& c, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.ListUsers(o); });
          },
          call, "Names of the users.")
      .def(
          "describe_user",
          [](PyClient& c, const std::string& user, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.DescribeUser(user, o); });
          },
          py::arg("user"), call, "A user and its roles.")
      .def(
          "create_role",
          [](PyClient& c, const std::string& role, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.CreateRole(role, o); });
          },
          py::arg("role"), call, "Creates a role.")
      .def(
          "drop_role",
          [](PyClient& c, const std::string& role, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.DropRole(role, o); });
          },
          py::arg("role"), call, "Drops a role.")
      .def(
          "list_roles",
          [](PyClient& c, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.ListRoles(o); });
          },
          call, "Roles and their users.")
      .def(
          "grant_role",
          [](PyClient& c, const std::string& user, const std::string& role,
             const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.GrantRole(user, role, o); });
          },
          py::arg("user"), py::arg("role"), call, "Grants a role to a user.")
      .def(
          "revoke_role",
          [](PyClient& c, const std::string& user, const std::string& role,
             const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.RevokeRole(user, role, o); });
          },
          py::arg("user"), py::arg("role"), call, "Revokes a user's role.")
      .def(
          "grant_privilege",
          [](PyClient& c, const cove::Grant& g, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.GrantPrivilege(g, o); });
          },
          py::arg("grant"), call, "Grants a privilege to a role.")
      .def(
          "revoke_privilege",
          [](PyClient& c, const cove::Grant& g, const CallOptions& o) {
            c.Run([&](Client& cl) { return cl.RevokePrivilege(g, o); });
          },
          py::arg("grant"), call, "Revokes a privilege from a role.")
      .def(
          "list_grants",
          [](PyClient& c, const std::string& role, const CallOptions& o) {
            return c.Run([&](Client& cl) { return cl.ListGrants(role, o); });
          },
          py::arg("role"), call, "The privileges granted to a role.")
      // Iterators.
      .def(
          "new_query_iterator",
          [](PyClient& c, const std::string& coll, const std::string& filter,
             py::object filter_params, py::object output_fields, int64_t limit,
             py::object partition_names, int64_t batch_size,
             const CallOptions& o) {
            cove::QueryRequest req;
            req.collection_name = coll;
            req.filter = filter;
            req.filter_params = ToValueMap(filter_params, "filter_params");
            req.output_fields = ToStrings(output_fields);
            req.limit = limit;
            req.partition_names = ToStrings(partition_names);
            cove::QueryIterator it = c.Run([&](Client& cl) {
              return cl.NewQueryIterator(req, batch_size, o);
            });
            return std::make_unique<PyQueryIterator>(std::move(it));
          },
          py::arg("collection"), py::arg("filter") = "",
          py::arg("filter_params") = py::none(),
          py::arg("output_fields") = py::none(), py::arg("limit") = 0,
          py::arg("partition_names") = py::none(), py::arg("batch_size") = 1000,
          call,
          "An iterator over every row matching the filter, in primary-key "
          "order, batch_size rows per page (limit > 0 caps the total).")
      .def(
          "new_search_iterator",
          [](PyClient& c, const std::string& coll, py::object vector,
             const std::string& filter, py::object filter_params,
             py::object output_fields, const std::string& anns_field,
             py::object partition_names, std::optional<cove::MetricType> metric,
             py::object params, int64_t batch_size, int64_t limit,
             const CallOptions& o) {
            cove::SearchRequest req;
            req.collection_name = coll;
            FillVectors(&req, vector);
            req.filter = filter;
            req.filter_params = ToValueMap(filter_params, "filter_params");
            req.output_fields = ToStrings(output_fields);
            req.anns_field = anns_field;
            req.partition_names = ToStrings(partition_names);
            req.metric_type = metric;
            req.params = ToValueMap(params, "search params");
            cove::SearchIterator it = c.Run([&](Client& cl) {
              return cl.NewSearchIterator(req, batch_size, limit, o);
            });
            return std::make_unique<PySearchIterator>(std::move(it));
          },
          py::arg("collection"), py::arg("vector"), py::arg("filter") = "",
          py::arg("filter_params") = py::none(),
          py::arg("output_fields") = py::none(), py::arg("anns_field") = "",
          py::arg("partition_names") = py::none(),
          py::arg("metric_type") = py::none(), py::arg("params") = py::none(),
          py::arg("batch_size") = 1000, py::arg("limit") = -1, call,
          "An iterator over the hits of one query vector, closest first, "
          "batch_size hits per page (limit >= 0 caps the total).");

  py::class_<PyQueryIterator>(m, "QueryIterator",
                              "Pages of rows in primary-key order.")
      .def(
          "next",
          [](PyQueryIterator& it) {
            auto page = it.Next<absl::StatusOr<std::vector<cove::Row>>>();
            return FromRows(Unwrap(std::move(page)));
          },
          "The next page (a list of dicts); empty when done.")
      .def_property_readonly("done", &PyQueryIterator::done,
                             "True once a page came back short.")
      .def(
          "close", [](PyQueryIterator& it) { Check(it.Close()); },
          "Ends the iteration and releases its snapshot (NotFoundError when "
          "the snapshot had expired).");
  py::class_<PySearchIterator>(m, "SearchIterator",
                               "Pages of hits of one query, closest first.")
      .def(
          "next",
          [](PySearchIterator& it) {
            auto hits = it.Next<absl::StatusOr<std::vector<cove::Hit>>>();
            cove::SearchResults r;
            r.hits.push_back(Unwrap(std::move(hits)));
            py::list pages = FromSearchResults(r);
            py::object page = pages[0];
            return page;
          },
          "The next page as (ids, distances, entities); empty when done.")
      .def_property_readonly("done", &PySearchIterator::done,
                             "True once a page came back short.")
      .def(
          "close", [](PySearchIterator& it) { Check(it.Close()); },
          "Ends the iteration and releases its snapshot (NotFoundError when "
          "the snapshot had expired).");
}

// --- the control plane ------------------------------------------------------
//
// The structs of cove/control_types.h as classes with the same field names;
// times are float seconds since the epoch (None when unset), durations float
// seconds, enums and status codes plain ints. The Pythonic layer
// (cove/control.py) turns them into dataclasses and enums.

py::object TimeToPy(cove::control::Timestamp t) {
  if (!cove::control::IsSet(t)) return py::none();
  return py::float_(
      std::chrono::duration<double>(t.time_since_epoch()).count());
}

cove::control::Timestamp TimeFromPy(const py::object& v) {
  if (v.is_none()) return cove::control::Timestamp();
  const double s = v.cast<double>();
  if (!std::isfinite(s)) RaiseInvalid("time: expected a finite number");
  return cove::control::Timestamp(
      std::chrono::duration_cast<cove::control::Timestamp::duration>(
          std::chrono::duration<double>(s)));
}

// Runs fn() without the GIL; raises on error; Status gives None.
template <typename F>
auto Blocking(F fn) {
  using R = decltype(fn());
  std::optional<R> r;
  {
    py::gil_scoped_release nogil;
    r.emplace(fn());
  }
  if constexpr (std::is_same_v<R, absl::Status>) {
    Check(*r);
  } else {
    return Unwrap(std::move(*r));
  }
}

cove::ControlCallOptions ControlCall(std::optional<double> timeout) {
  cove::ControlCallOptions call;
  if (timeout.has_value()) call.timeout = FromSeconds(*timeout, "timeout");
  return call;
}

template <typename T>
py::tuple PageTuple(cove::control::Page<T> page) {
  return py::make_tuple(py::cast(std::move(page.items)),
                        py::str(page.next_page_token));
}

// Binds a client method `R M(A..., const ControlCallOptions&)` as a Python
// method taking A... and then `timeout` (seconds), run without the GIL:
// ControlMethod returns the result, ControlPageMethod a (items, token) tuple.
template <bool kPage, typename C, typename R, typename Tuple, size_t... I>
auto BindTimeout(R (C::*method)(std::tuple_element_t<I, Tuple>...,
                                const cove::ControlCallOptions&),
                 std::index_sequence<I...>) {
  return [method](C& c, std::tuple_element_t<I, Tuple>... args,
                  std::optional<double> timeout) {
    auto call = ControlCall(timeout);
    if constexpr (kPage) {
      return PageTuple(Blocking([&] { return (c.*method)(args..., call); }));
    } else {
      return Blocking([&] { return (c.*method)(args..., call); });
    }
  };
}
template <typename C, typename R, typename... A>
auto ControlMethod(R (C::*method)(A...)) {
  using Args = std::tuple<A...>;
  return BindTimeout<false, C, R, Args>(
      method, std::make_index_sequence<sizeof...(A) - 1>{});
}
template <typename C, typename R, typename... A>
auto ControlPageMethod(R (C::*method)(A...)) {
  using Args = std::tuple<A...>;
  return BindTimeout<true, C, R, Args>(
      method, std::make_index_sequence<sizeof...(A) - 1>{});
}

#define COVE_PY_TIME(T, f)                          \
  .def_property(                                    \
      #f, [](const T& o) { return TimeToPy(o.f); }, \
      [](T& o, const py::object& v) { o.f = TimeFromPy(v); })
#define COVE_PY_ENUM(T, f)                                  \
  .def_property(                                            \
      #f, [](const T& o) { return static_cast<int>(o.f); }, \
      [](T& o, int v) { o.f = static_cast<decltype(o.f)>(v); })
#define COVE_PY_MS(T, f)                                   \
  .def_property(                                           \
      #f, [](const T& o) { return o.f.count() / 1000.0; }, \
      [](T& o, double s) { o.f = FromSeconds(s, #f); })
#define COVE_PY_OPT_MS(T, f)                         \
  .def_property(                                     \
      #f, [](const T& o) { return ToSeconds(o.f); }, \
      [](T& o, std::optional<double> s) {            \
        if (s.has_value()) {                         \
          o.f = FromSeconds(*s, #f);                 \
        } else {                                     \
          o.f.reset();                               \
        }                                            \
      })

void BindControl(py::module_& m) {
  py::class_<cove::ControlOptions>(m, "ControlOptions",
                                   "Options of the control-plane client.")
      .def(py::init<>())
      .def_readwrite("endpoint", &cove::ControlOptions::endpoint)
      .def_readwrite("api_key", &cove::ControlOptions::api_key)
      .def_readwrite("ca_cert_file", &cove::ControlOptions::ca_cert_file)
      .def_readwrite("ca_cert_pem", &cove::ControlOptions::ca_cert_pem)
      .def_readwrite("server_name", &cove::ControlOptions::server_name)
      .def_readwrite("dangerously_skip_tls_verification",
                     &cove::ControlOptions::dangerously_skip_tls_verification)
          COVE_PY_MS(cove::ControlOptions, timeout)
      .def_readwrite("max_attempts", &cove::ControlOptions::max_attempts)
          COVE_PY_MS(cove::ControlOptions, initial_backoff)
              COVE_PY_MS(cove::ControlOptions, max_backoff)
                  COVE_PY_MS(cove::ControlOptions, operation_timeout)
                      COVE_PY_MS(cove::ControlOptions, poll_interval);
  m.def("apply_control_environment", &cove::ApplyControlEnvironment,
        py::arg("options"),
        "Fills unset options from COVE_CLOUD_ENDPOINT, COVE_API_KEY, "
        "COVE_CA_FILE, COVE_TIMEOUT_MS.");

  namespace ctl = cove::control;
  py::class_<ctl::Organization>(m, "Organization")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Organization::name)
      .def_readwrite("display_name", &ctl::Organization::display_name)
          COVE_PY_TIME(ctl::Organization, create_time)
              COVE_PY_TIME(ctl::Organization, update_time)
      .def_readwrite("etag", &ctl::Organization::etag)
      .def_readwrite("external_id", &ctl::Organization::external_id);
  py::class_<ctl::Member>(m, "Member")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Member::name)
      .def_readwrite("user", &ctl::Member::user)
      .def_readwrite("role", &ctl::Member::role)
          COVE_PY_TIME(ctl::Member, create_time);
  py::class_<ctl::Invitation>(m, "Invitation")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Invitation::name)
      .def_readwrite("email", &ctl::Invitation::email)
      .def_readwrite("role", &ctl::Invitation::role)
          COVE_PY_ENUM(ctl::Invitation, state)
              COVE_PY_TIME(ctl::Invitation, create_time)
                  COVE_PY_TIME(ctl::Invitation, expire_time)
      .def_readwrite("token", &ctl::Invitation::token)
      .def_readwrite("etag", &ctl::Invitation::etag);
  py::class_<ctl::Project>(m, "Project")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Project::name)
      .def_readwrite("display_name", &ctl::Project::display_name)
      .def_readwrite("plan", &ctl::Project::plan)
      .def_readwrite("region", &ctl::Project::region)
          COVE_PY_TIME(ctl::Project, create_time)
              COVE_PY_TIME(ctl::Project, update_time)
      .def_readwrite("etag", &ctl::Project::etag)
      .def_readwrite("labels", &ctl::Project::labels);
  py::class_<ctl::Environment>(m, "Environment")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Environment::name)
          COVE_PY_ENUM(ctl::Environment, mode)
              COVE_PY_ENUM(ctl::Environment, state)
      .def_readwrite("cloud_account_id", &ctl::Environment::cloud_account_id)
      .def_readwrite("region", &ctl::Environment::region)
      .def_readwrite("vpc_id", &ctl::Environment::vpc_id)
      .def_readwrite("subnet_ids", &ctl::Environment::subnet_ids)
      .def_readwrite("bucket", &ctl::Environment::bucket)
      .def_readwrite("role_arn", &ctl::Environment::role_arn)
      .def_readwrite("external_id", &ctl::Environment::external_id)
          COVE_PY_TIME(ctl::Environment, create_time)
              COVE_PY_TIME(ctl::Environment, update_time)
      .def_readwrite("etag", &ctl::Environment::etag)
      .def_readwrite("state_message", &ctl::Environment::state_message)
      .def_readwrite("agent_token", &ctl::Environment::agent_token)
          COVE_PY_TIME(ctl::Environment, agent_token_expire_time)
              COVE_PY_TIME(ctl::Environment, last_heartbeat_time);
  py::class_<ctl::EnvironmentValidation::Problem>(
      m, "EnvironmentValidationProblem")
      .def(py::init<>())
      .def_readwrite("field", &ctl::EnvironmentValidation::Problem::field)
      .def_readwrite("message", &ctl::EnvironmentValidation::Problem::message);
  py::class_<ctl::EnvironmentValidation>(m, "EnvironmentValidation")
      .def(py::init<>())
      .def_readwrite("valid", &ctl::EnvironmentValidation::valid)
      .def_readwrite("problems", &ctl::EnvironmentValidation::problems);
  py::class_<ctl::AutoscalingSchedule>(m, "AutoscalingSchedule")
      .def(py::init<>())
      .def_readwrite("cron", &ctl::AutoscalingSchedule::cron)
      .def_readwrite("time_zone", &ctl::AutoscalingSchedule::time_zone)
      .def_readwrite("min_cu_size", &ctl::AutoscalingSchedule::min_cu_size)
      .def_readwrite("duration_minutes",
                     &ctl::AutoscalingSchedule::duration_minutes);
  py::class_<ctl::Autoscaling>(m, "Autoscaling")
      .def(py::init<>())
      .def_readwrite("enabled", &ctl::Autoscaling::enabled)
      .def_readwrite("min_cu_size", &ctl::Autoscaling::min_cu_size)
      .def_readwrite("max_cu_size", &ctl::Autoscaling::max_cu_size)
      .def_readwrite("min_replicas", &ctl::Autoscaling::min_replicas)
      .def_readwrite("max_replicas", &ctl::Autoscaling::max_replicas)
      .def_readwrite("scale_up_fill_percent",
                     &ctl::Autoscaling::scale_up_fill_percent)
      .def_readwrite("scale_down_fill_percent",
                     &ctl::Autoscaling::scale_down_fill_percent)
      .def_readwrite("cool_down_seconds", &ctl::Autoscaling::cool_down_seconds)
      .def_readwrite("schedules", &ctl::Autoscaling::schedules)
      .def_readwrite("target_qps_per_replica",
                     &ctl::Autoscaling::target_qps_per_replica);
  py::class_<ctl::RequestKindMetrics>(m, "RequestKindMetrics")
      .def(py::init<>())
      .def_readwrite("kind", &ctl::RequestKindMetrics::kind)
      .def_readwrite("requests", &ctl::RequestKindMetrics::requests)
      .def_readwrite("errors", &ctl::RequestKindMetrics::errors)
      .def_readwrite("qps", &ctl::RequestKindMetrics::qps)
      .def_readwrite("latency_p50_ms", &ctl::RequestKindMetrics::latency_p50_ms)
      .def_readwrite("latency_p95_ms", &ctl::RequestKindMetrics::latency_p95_ms)
      .def_readwrite("latency_p99_ms",
                     &ctl::RequestKindMetrics::latency_p99_ms);
  py::class_<ctl::ClusterMetrics>(m, "ClusterMetrics")
      .def(py::init<>())
      .def_readwrite("cluster", &ctl::ClusterMetrics::cluster)
          COVE_PY_TIME(ctl::ClusterMetrics, time)
      .def_readwrite("serving", &ctl::ClusterMetrics::serving)
      .def_readwrite("window_seconds", &ctl::ClusterMetrics::window_seconds)
      .def_readwrite("qps", &ctl::ClusterMetrics::qps)
      .def_readwrite("requests", &ctl::ClusterMetrics::requests)
      .def_readwrite("errors", &ctl::ClusterMetrics::errors)
      .def_readwrite("latency_p50_ms", &ctl::ClusterMetrics::latency_p50_ms)
      .def_readwrite("latency_p95_ms", &ctl::ClusterMetrics::latency_p95_ms)
      .def_readwrite("latency_p99_ms", &ctl::ClusterMetrics::latency_p99_ms)
      .def_readwrite("kinds", &ctl::ClusterMetrics::kinds)
      .def_readwrite("vector_count", &ctl::ClusterMetrics::vector_count)
      .def_readwrite("storage_bytes", &ctl::ClusterMetrics::storage_bytes)
      .def_readwrite("capacity_vectors", &ctl::ClusterMetrics::capacity_vectors)
      .def_readwrite("cu_usage", &ctl::ClusterMetrics::cu_usage)
      .def_readwrite("cu_size", &ctl::ClusterMetrics::cu_size)
      .def_readwrite("replicas", &ctl::ClusterMetrics::replicas)
      .def_readwrite("metrics_endpoint",
                     &ctl::ClusterMetrics::metrics_endpoint);
  py::class_<ctl::BackupPolicy>(m, "BackupPolicy")
      .def(py::init<>())
      .def_readwrite("enabled", &ctl::BackupPolicy::enabled)
          COVE_PY_MS(ctl::BackupPolicy, interval)
      .def_readwrite("retention_count", &ctl::BackupPolicy::retention_count)
          COVE_PY_MS(ctl::BackupPolicy, retention)
              COVE_PY_TIME(ctl::BackupPolicy, next_backup_time);
  py::class_<ctl::Backup>(m, "Backup")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Backup::name)
      .def_readwrite("cluster", &ctl::Backup::cluster)
          COVE_PY_ENUM(ctl::Backup, state)
      .def_readwrite("state_message", &ctl::Backup::state_message)
      .def_readwrite("collections", &ctl::Backup::collections)
      .def_readwrite("size_bytes", &ctl::Backup::size_bytes)
      .def_readwrite("row_count", &ctl::Backup::row_count)
          COVE_PY_TIME(ctl::Backup, create_time)
              COVE_PY_TIME(ctl::Backup, expire_time)
      .def_readwrite("encrypted", &ctl::Backup::encrypted)
      .def_readwrite("encryption_key", &ctl::Backup::encryption_key)
      .def_readwrite("location", &ctl::Backup::location)
      .def_readwrite("scheduled", &ctl::Backup::scheduled)
      .def_readwrite("etag", &ctl::Backup::etag)
      .def_readwrite("environment", &ctl::Backup::environment);
  py::class_<ctl::Cluster>(m, "Cluster")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Cluster::name)
      .def_readwrite("display_name", &ctl::Cluster::display_name)
      .def_readwrite("environment", &ctl::Cluster::environment)
          COVE_PY_ENUM(ctl::Cluster, state)
      .def_readwrite("cu_type", &ctl::Cluster::cu_type)
      .def_readwrite("cu_size", &ctl::Cluster::cu_size)
      .def_readwrite("replicas", &ctl::Cluster::replicas)
      .def_readwrite("labels", &ctl::Cluster::labels)
      .def_readwrite("endpoint", &ctl::Cluster::endpoint)
          COVE_PY_TIME(ctl::Cluster, create_time)
              COVE_PY_TIME(ctl::Cluster, update_time)
                  COVE_PY_TIME(ctl::Cluster, delete_time)
                      COVE_PY_TIME(ctl::Cluster, purge_time)
      .def_readwrite("etag", &ctl::Cluster::etag)
      .def_readwrite("state_message", &ctl::Cluster::state_message)
      .def_readwrite("admin_user", &ctl::Cluster::admin_user)
      .def_readwrite("admin_password", &ctl::Cluster::admin_password)
      .def_readwrite("capacity_vectors", &ctl::Cluster::capacity_vectors)
      .def_readwrite("used_vectors", &ctl::Cluster::used_vectors)
      .def_readwrite("capacity_bytes", &ctl::Cluster::capacity_bytes)
      .def_readwrite("used_bytes", &ctl::Cluster::used_bytes)
      .def_readwrite("autoscaling", &ctl::Cluster::autoscaling)
      .def_readwrite("metrics_endpoint", &ctl::Cluster::metrics_endpoint)
      .def_readwrite("encryption_key", &ctl::Cluster::encryption_key)
      .def_readwrite("encryption_key_id", &ctl::Cluster::encryption_key_id)
      .def_readwrite("backup_policy", &ctl::Cluster::backup_policy);
  py::class_<ctl::Operation>(m, "Operation")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Operation::name)
      .def_readwrite("verb", &ctl::Operation::verb)
      .def_readwrite("target", &ctl::Operation::target)
      .def_readwrite("done", &ctl::Operation::done)
          COVE_PY_ENUM(ctl::Operation, error_code)
      .def_readwrite("error_message", &ctl::Operation::error_message)
      .def_readwrite("progress_percent", &ctl::Operation::progress_percent)
          COVE_PY_TIME(ctl::Operation, create_time)
              COVE_PY_TIME(ctl::Operation, end_time)
      .def_readwrite("request_id", &ctl::Operation::request_id)
      .def_readwrite("cancel_requested", &ctl::Operation::cancel_requested)
      .def_readwrite("cluster", &ctl::Operation::cluster)
      .def_readwrite("environment", &ctl::Operation::environment)
      .def_readwrite("backup", &ctl::Operation::backup);
  py::class_<ctl::ApiKey>(m, "ApiKey")
      .def(py::init<>())
      .def_readwrite("name", &ctl::ApiKey::name)
      .def_readwrite("display_name", &ctl::ApiKey::display_name)
      .def_readwrite("scope", &ctl::ApiKey::scope)
      .def_readwrite("role", &ctl::ApiKey::role)
      .def_readwrite("enabled", &ctl::ApiKey::enabled)
          COVE_PY_TIME(ctl::ApiKey, create_time)
              COVE_PY_TIME(ctl::ApiKey, expire_time)
                  COVE_PY_TIME(ctl::ApiKey, last_used_time)
      .def_readwrite("secret", &ctl::ApiKey::secret)
      .def_readwrite("etag", &ctl::ApiKey::etag)
      .def_readwrite("owner", &ctl::ApiKey::owner);
  py::class_<ctl::Statement>(m, "Statement")
      .def(py::init<>()) COVE_PY_ENUM(ctl::Statement, effect)
      .def_readwrite("actions", &ctl::Statement::actions)
      .def_readwrite("resources", &ctl::Statement::resources);
  py::class_<ctl::Role>(m, "Role")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Role::name)
      .def_readwrite("display_name", &ctl::Role::display_name)
          COVE_PY_ENUM(ctl::Role, level)
      .def_readwrite("built_in", &ctl::Role::built_in)
      .def_readwrite("statements", &ctl::Role::statements)
          COVE_PY_TIME(ctl::Role, create_time)
      .def_readwrite("etag", &ctl::Role::etag);
  py::class_<ctl::RoleBinding>(m, "RoleBinding")
      .def(py::init<>())
      .def_readwrite("name", &ctl::RoleBinding::name)
      .def_readwrite("role", &ctl::RoleBinding::role)
      .def_readwrite("principal", &ctl::RoleBinding::principal)
      .def_readwrite("scope", &ctl::RoleBinding::scope)
          COVE_PY_TIME(ctl::RoleBinding, create_time);
  py::class_<ctl::AuditEvent>(m, "AuditEvent")
      .def(py::init<>())
      .def_readwrite("name", &ctl::AuditEvent::name)
          COVE_PY_TIME(ctl::AuditEvent, time)
      .def_readwrite("actor", &ctl::AuditEvent::actor)
      .def_readwrite("action", &ctl::AuditEvent::action)
      .def_readwrite("resource", &ctl::AuditEvent::resource)
          COVE_PY_ENUM(ctl::AuditEvent, outcome)
              COVE_PY_ENUM(ctl::AuditEvent, status_code)
      .def_readwrite("message", &ctl::AuditEvent::message)
      .def_readwrite("request_id", &ctl::AuditEvent::request_id)
      .def_readwrite("client_address", &ctl::AuditEvent::client_address);
  py::class_<ctl::ListRequest>(m, "ListRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::ListRequest::parent)
      .def_readwrite("filter", &ctl::ListRequest::filter)
      .def_readwrite("page_size", &ctl::ListRequest::page_size)
      .def_readwrite("page_token", &ctl::ListRequest::page_token);
  py::class_<ctl::ListAuditEventsRequest>(m, "ListAuditEventsRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::ListAuditEventsRequest::parent)
      .def_readwrite("filter", &ctl::ListAuditEventsRequest::filter)
          COVE_PY_TIME(ctl::ListAuditEventsRequest, start_time)
              COVE_PY_TIME(ctl::ListAuditEventsRequest, end_time)
      .def_readwrite("page_size", &ctl::ListAuditEventsRequest::page_size)
      .def_readwrite("page_token", &ctl::ListAuditEventsRequest::page_token);
  py::class_<ctl::DeleteRequest>(m, "DeleteRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::DeleteRequest::name)
      .def_readwrite("etag", &ctl::DeleteRequest::etag)
      .def_readwrite("request_id", &ctl::DeleteRequest::request_id);
  py::class_<ctl::CreateOrganizationRequest>(m, "CreateOrganizationRequest")
      .def(py::init<>())
      .def_readwrite("organization_id",
                     &ctl::CreateOrganizationRequest::organization_id)
      .def_readwrite("organization",
                     &ctl::CreateOrganizationRequest::organization)
      .def_readwrite("request_id", &ctl::CreateOrganizationRequest::request_id)
      .def_readwrite("owner_email",
                     &ctl::CreateOrganizationRequest::owner_email);
  py::class_<ctl::CreateInvitationRequest>(m, "CreateInvitationRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateInvitationRequest::parent)
      .def_readwrite("invitation", &ctl::CreateInvitationRequest::invitation)
      .def_readwrite("request_id", &ctl::CreateInvitationRequest::request_id);
  py::class_<ctl::AcceptInvitationRequest>(m, "AcceptInvitationRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::AcceptInvitationRequest::name)
      .def_readwrite("token", &ctl::AcceptInvitationRequest::token);
  py::class_<ctl::AcceptInvitationResult>(m, "AcceptInvitationResult")
      .def(py::init<>())
      .def_readwrite("member", &ctl::AcceptInvitationResult::member)
      .def_readwrite("api_key", &ctl::AcceptInvitationResult::api_key);
  py::class_<ctl::CreateProjectRequest>(m, "CreateProjectRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateProjectRequest::parent)
      .def_readwrite("project_id", &ctl::CreateProjectRequest::project_id)
      .def_readwrite("project", &ctl::CreateProjectRequest::project)
      .def_readwrite("request_id", &ctl::CreateProjectRequest::request_id);
  py::class_<ctl::CreateEnvironmentRequest>(m, "CreateEnvironmentRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateEnvironmentRequest::parent)
      .def_readwrite("environment_id",
                     &ctl::CreateEnvironmentRequest::environment_id)
      .def_readwrite("environment", &ctl::CreateEnvironmentRequest::environment)
      .def_readwrite("request_id", &ctl::CreateEnvironmentRequest::request_id);
  py::class_<ctl::RotateAgentTokenRequest>(m, "RotateAgentTokenRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::RotateAgentTokenRequest::name)
      .def_readwrite("etag", &ctl::RotateAgentTokenRequest::etag);
  py::class_<ctl::CreateClusterRequest>(m, "CreateClusterRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateClusterRequest::parent)
      .def_readwrite("cluster_id", &ctl::CreateClusterRequest::cluster_id)
      .def_readwrite("cluster", &ctl::CreateClusterRequest::cluster)
      .def_readwrite("request_id", &ctl::CreateClusterRequest::request_id);
  py::class_<ctl::ClusterActionRequest>(m, "ClusterActionRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::ClusterActionRequest::name)
      .def_readwrite("etag", &ctl::ClusterActionRequest::etag)
      .def_readwrite("request_id", &ctl::ClusterActionRequest::request_id);
  py::class_<ctl::CreateBackupRequest>(m, "CreateBackupRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateBackupRequest::parent)
      .def_readwrite("backup_id", &ctl::CreateBackupRequest::backup_id)
      .def_readwrite("collections", &ctl::CreateBackupRequest::collections)
          COVE_PY_TIME(ctl::CreateBackupRequest, expire_time)
      .def_readwrite("request_id", &ctl::CreateBackupRequest::request_id);
  py::class_<ctl::RestoreBackupRequest>(m, "RestoreBackupRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::RestoreBackupRequest::name)
      .def_readwrite("target_cluster",
                     &ctl::RestoreBackupRequest::target_cluster)
      .def_readwrite("parent", &ctl::RestoreBackupRequest::parent)
      .def_readwrite("cluster_id", &ctl::RestoreBackupRequest::cluster_id)
      .def_readwrite("cluster", &ctl::RestoreBackupRequest::cluster)
      .def_readwrite("collections", &ctl::RestoreBackupRequest::collections)
      .def_readwrite("overwrite", &ctl::RestoreBackupRequest::overwrite)
      .def_readwrite("request_id", &ctl::RestoreBackupRequest::request_id);
  py::class_<ctl::SetBackupPolicyRequest>(m, "SetBackupPolicyRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::SetBackupPolicyRequest::name)
      .def_readwrite("policy", &ctl::SetBackupPolicyRequest::policy)
      .def_readwrite("etag", &ctl::SetBackupPolicyRequest::etag);
  py::class_<ctl::ScaleClusterRequest>(m, "ScaleClusterRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::ScaleClusterRequest::name)
      .def_readwrite("cu_size", &ctl::ScaleClusterRequest::cu_size)
      .def_readwrite("replicas", &ctl::ScaleClusterRequest::replicas)
      .def_readwrite("etag", &ctl::ScaleClusterRequest::etag)
      .def_readwrite("request_id", &ctl::ScaleClusterRequest::request_id);
  py::class_<ctl::CreateApiKeyRequest>(m, "CreateApiKeyRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateApiKeyRequest::parent)
      .def_readwrite("api_key_id", &ctl::CreateApiKeyRequest::api_key_id)
      .def_readwrite("api_key", &ctl::CreateApiKeyRequest::api_key)
      .def_readwrite("request_id", &ctl::CreateApiKeyRequest::request_id);
  py::class_<ctl::CreateRoleRequest>(m, "CreateRoleRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateRoleRequest::parent)
      .def_readwrite("role_id", &ctl::CreateRoleRequest::role_id)
      .def_readwrite("role", &ctl::CreateRoleRequest::role)
      .def_readwrite("request_id", &ctl::CreateRoleRequest::request_id);
  py::class_<ctl::CreateRoleBindingRequest>(m, "CreateRoleBindingRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateRoleBindingRequest::parent)
      .def_readwrite("role_binding",
                     &ctl::CreateRoleBindingRequest::role_binding)
      .def_readwrite("request_id", &ctl::CreateRoleBindingRequest::request_id);
  py::class_<ctl::TestPermissionsRequest>(m, "TestPermissionsRequest")
      .def(py::init<>())
      .def_readwrite("resource", &ctl::TestPermissionsRequest::resource)
      .def_readwrite("actions", &ctl::TestPermissionsRequest::actions);
  py::class_<ctl::EmulatorSettings>(m, "EmulatorSettings")
      .def(py::init<>()) COVE_PY_MS(ctl::EmulatorSettings, transition_delay)
          COVE_PY_MS(ctl::EmulatorSettings, retention)
      .def_readwrite("vectors_per_cu", &ctl::EmulatorSettings::vectors_per_cu)
      .def_readwrite("bytes_per_cu", &ctl::EmulatorSettings::bytes_per_cu)
      .def_readwrite("manual_clock", &ctl::EmulatorSettings::manual_clock)
          COVE_PY_TIME(ctl::EmulatorSettings, now);
  py::class_<ctl::UpdateEmulatorSettingsRequest>(
      m, "UpdateEmulatorSettingsRequest")
      .def(py::init<>())
          COVE_PY_OPT_MS(ctl::UpdateEmulatorSettingsRequest, transition_delay)
              COVE_PY_OPT_MS(ctl::UpdateEmulatorSettingsRequest, retention)
      .def_readwrite("vectors_per_cu",
                     &ctl::UpdateEmulatorSettingsRequest::vectors_per_cu)
      .def_readwrite("bytes_per_cu",
                     &ctl::UpdateEmulatorSettingsRequest::bytes_per_cu);
  py::class_<ctl::SetClockRequest>(m, "SetClockRequest")
      .def(py::init<>()) COVE_PY_TIME(ctl::SetClockRequest, time)
      .def_readwrite("real", &ctl::SetClockRequest::real);
  py::class_<ctl::Fault>(m, "Fault")
      .def(py::init<>())
      .def_readwrite("verb", &ctl::Fault::verb) COVE_PY_ENUM(ctl::Fault, mode)
          COVE_PY_ENUM(ctl::Fault, code)
      .def_readwrite("message", &ctl::Fault::message)
      .def_readwrite("count", &ctl::Fault::count);
  py::class_<cove::ControlClient>(
      m, "ControlClient", "cove::ControlClient: the control-plane client.")
      .def(py::init([](const cove::ControlOptions& options) {
             return Blocking(
                 [&] { return cove::ControlClient::Connect(options); });
           }),
           py::arg("options"))
      .def("emulator", &cove::ControlClient::emulator,
           "The emulator test knobs.")
      .def_static("new_request_id", &cove::ControlClient::NewRequestId)
      .def("create_organization",
           ControlMethod(&cove::ControlClient::CreateOrganization),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_organization",
           ControlMethod(&cove::ControlClient::GetOrganization),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_organizations",
           ControlPageMethod(&cove::ControlClient::ListOrganizations),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_organization",
           ControlMethod(&cove::ControlClient::UpdateOrganization),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_organization",
           ControlMethod(&cove::ControlClient::DeleteOrganization),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("list_members", ControlPageMethod(&cove::ControlClient::ListMembers),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_member", ControlMethod(&cove::ControlClient::GetMember),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("update_member", ControlMethod(&cove::ControlClient::UpdateMember),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_member", ControlMethod(&cove::ControlClient::DeleteMember),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_invitation",
           ControlMethod(&cove::ControlClient::CreateInvitation),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_invitation", ControlMethod(&cove::ControlClient::GetInvitation),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_invitations",
           ControlPageMethod(&cove::ControlClient::ListInvitations),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("revoke_invitation",
           ControlMethod(&cove::ControlClient::RevokeInvitation),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("accept_invitation",
           ControlMethod(&cove::ControlClient::AcceptInvitation),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_project", ControlMethod(&cove::ControlClient::CreateProject),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_project", ControlMethod(&cove::ControlClient::GetProject),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_projects",
           ControlPageMethod(&cove::ControlClient::ListProjects),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_project", ControlMethod(&cove::ControlClient::UpdateProject),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_project", ControlMethod(&cove::ControlClient::DeleteProject),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_environment",
           ControlMethod(&cove::ControlClient::CreateEnvironment),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_environment",
           ControlMethod(&cove::ControlClient::GetEnvironment), py::arg("name"),
           py::arg("timeout") = py::none())
      .def("list_environments",
           ControlPageMethod(&cove::ControlClient::ListEnvironments),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("delete_environment",
           ControlMethod(&cove::ControlClient::DeleteEnvironment),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("validate_environment",
           ControlMethod(&cove::ControlClient::ValidateEnvironment),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("rotate_agent_token",
           ControlMethod(&cove::ControlClient::RotateAgentToken),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_create_cluster",
           ControlMethod(&cove::ControlClient::StartCreateCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_cluster", ControlMethod(&cove::ControlClient::GetCluster),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_clusters",
           ControlPageMethod(&cove::ControlClient::ListClusters),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_cluster", ControlMethod(&cove::ControlClient::UpdateCluster),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("start_suspend_cluster",
           ControlMethod(&cove::ControlClient::StartSuspendCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_resume_cluster",
           ControlMethod(&cove::ControlClient::StartResumeCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_reset_cluster_password",
           ControlMethod(&cove::ControlClient::StartResetClusterPassword),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_scale_cluster",
           ControlMethod(&cove::ControlClient::StartScaleCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_delete_cluster",
           ControlMethod(&cove::ControlClient::StartDeleteCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_restore_cluster",
           ControlMethod(&cove::ControlClient::StartRestoreCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_purge_cluster",
           ControlMethod(&cove::ControlClient::StartPurgeCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_api_key", ControlMethod(&cove::ControlClient::CreateApiKey),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_api_key", ControlMethod(&cove::ControlClient::GetApiKey),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_api_keys",
           ControlPageMethod(&cove::ControlClient::ListApiKeys),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_api_key", ControlMethod(&cove::ControlClient::UpdateApiKey),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_api_key", ControlMethod(&cove::ControlClient::DeleteApiKey),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_role", ControlMethod(&cove::ControlClient::CreateRole),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_role", ControlMethod(&cove::ControlClient::GetRole),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_roles", ControlPageMethod(&cove::ControlClient::ListRoles),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_role", ControlMethod(&cove::ControlClient::UpdateRole),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_role", ControlMethod(&cove::ControlClient::DeleteRole),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_role_binding",
           ControlMethod(&cove::ControlClient::CreateRoleBinding),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_role_binding",
           ControlMethod(&cove::ControlClient::GetRoleBinding), py::arg("name"),
           py::arg("timeout") = py::none())
      .def("list_role_bindings",
           ControlPageMethod(&cove::ControlClient::ListRoleBindings),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("delete_role_binding",
           ControlMethod(&cove::ControlClient::DeleteRoleBinding),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("test_permissions",
           ControlMethod(&cove::ControlClient::TestPermissions),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("list_audit_events",
           ControlPageMethod(&cove::ControlClient::ListAuditEvents),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_operation", ControlMethod(&cove::ControlClient::GetOperation),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_operations",
           ControlPageMethod(&cove::ControlClient::ListOperations),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_cluster_metrics",
           ControlMethod(&cove::ControlClient::GetClusterMetrics),
           py::arg("name"), py::arg("window_seconds") = 0,
           py::arg("timeout") = py::none())
      .def("start_create_backup",
           ControlMethod(&cove::ControlClient::StartCreateBackup),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_backup", ControlMethod(&cove::ControlClient::GetBackup),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_backups", ControlPageMethod(&cove::ControlClient::ListBackups),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_delete_backup",
           ControlMethod(&cove::ControlClient::StartDeleteBackup),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_restore_backup",
           ControlMethod(&cove::ControlClient::StartRestoreBackup),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("set_backup_policy",
           ControlMethod(&cove::ControlClient::SetBackupPolicy),
           py::arg("request"), py::arg("timeout") = py::none());

  py::class_<cove::ControlOperation>(m, "ControlOperation",
                                     "A long-running operation.")
      .def_property_readonly("name", &cove::ControlOperation::name)
      .def_property_readonly("done", &cove::ControlOperation::done)
      .def_property_readonly("operation", &cove::ControlOperation::operation)
      .def(
          "refresh",
          [](cove::ControlOperation& op, std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            Blocking([&] { return op.Refresh(call); });
          },
          py::arg("timeout") = py::none())
      .def(
          "wait",
          [](cove::ControlOperation& op, std::optional<double> timeout) {
            std::optional<std::chrono::milliseconds> t;
            if (timeout.has_value()) t = FromSeconds(*timeout, "timeout");
            Blocking([&] { return op.Wait(t); });
          },
          py::arg("timeout") = py::none(),
          "Waits until done (raises the operation's error, or "
          "DeadlineExceededError after `timeout` seconds).")
      .def(
          "cancel",
          [](cove::ControlOperation& op, std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            Blocking([&] { return op.Cancel(call); });
          },
          py::arg("timeout") = py::none());

  py::class_<cove::EmulatorClient>(m, "EmulatorClient",
                                   "The cove-cloud emulator's test knobs.")
      .def(
          "get_settings",
          [](cove::EmulatorClient& e, std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.GetSettings(call); });
          },
          py::arg("timeout") = py::none())
      .def(
          "update_settings",
          [](cove::EmulatorClient& e,
             const ctl::UpdateEmulatorSettingsRequest& request,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.UpdateSettings(request, call); });
          },
          py::arg("request"), py::arg("timeout") = py::none())
      .def(
          "set_clock",
          [](cove::EmulatorClient& e, const ctl::SetClockRequest& request,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.SetClock(request, call); });
          },
          py::arg("request"), py::arg("timeout") = py::none())
      .def(
          "advance_clock",
          [](cove::EmulatorClient& e, double by,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            auto d = FromSeconds(by, "by");
            return Blocking([&] { return e.AdvanceClock(d, call); });
          },
          py::arg("by"), py::arg("timeout") = py::none())
      .def(
          "inject_fault",
          [](cove::EmulatorClient& e, const ctl::Fault& fault,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.InjectFault(fault, call); });
          },
          py::arg("fault"), py::arg("timeout") = py::none())
      .def(
          "list_faults",
          [](cove::EmulatorClient& e, std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.ListFaults(call); });
          },
          py::arg("timeout") = py::none())
      .def(
          "clear_faults",
          [](cove::EmulatorClient& e, const std::string& verb,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            Blocking([&] { return e.ClearFaults(verb, call); });
          },
          py::arg("verb") = "", py::arg("timeout") = py::none());
}

#undef COVE_PY_TIME
#undef COVE_PY_ENUM
#undef COVE_PY_MS
#undef COVE_PY_OPT_MS

}  // namespace
}  // namespace cove_python

PYBIND11_MODULE(_core, m) {
  using namespace cove_python;
  m.doc() =
      "cove._core: the C++ client (cove::Client) with snake_case names. "
      "Use the `cove` package instead; this layer may change.";
  m.attr("__version__") = cove::VersionString();
  m.def("version", &cove::VersionString, "The library version.");
  BindEnums(m);
  BindOptions(m);
  BindTypes(m);
  BindClient(m);
  BindControl(m);
  m.def(
      "_float_matrix_source",
      [](py::object obj) {
        FloatMatrix fm = ToFloatMatrix(obj, "data");
        return py::make_tuple(reinterpret_cast<uintptr_t>(fm.data()), fm.rows,
                              fm.dim);
      },
      py::arg("data"),
      "Testing aid: (address, rows, dim) of the float32 buffer that search "
      "and column inserts read `data` from (the caller's own buffer when it "
      "is float32 and C-contiguous).");
  m.def(
      "_roundtrip_value",
      [](py::object obj) { return FromValue(ToValue(obj, "value")); },
      py::arg("value"), "Testing aid: converts to cove::Value and back.");
  m.def(
      "_raise_status",
      [](int code, const std::string& message) {
        RaiseStatus(absl::Status(static_cast<absl::StatusCode>(code), message));
      },
      py::arg("code"), py::arg("message"),
      "Testing aid: raises the exception for an absl status code.");
}
