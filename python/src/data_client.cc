// cove._core, the data client: cove::Client with snake_case names, its
// options, request and result types, and its iterators. Every call into the
// client runs with the GIL released; arguments are converted to C++ before,
// results to Python after (values.h).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bindings.h"
#include "cove/cove.h"
#include "values.h"

namespace cove_python {
namespace {

using cove::Value;

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

// The FLOAT_VECTOR fields of a collection, for reading rows' lists of
// floats straight into vectors; none when it cannot be described (the
// insert then reports why).
std::set<std::string> FloatVectorFields(PyClient& c,
                                        const std::string& collection,
                                        py::handle rows,
                                        const cove::CallOptions& call) {
  // Only rows holding lists need it (the first row tells).
  PyObject* first = nullptr;
  if (PyList_Check(rows.ptr()) && PyList_GET_SIZE(rows.ptr()) > 0) {
    first = PyList_GET_ITEM(rows.ptr(), 0);
  } else if (PyDict_Check(rows.ptr())) {
    first = rows.ptr();
  }
  bool lists = false;
  if (first != nullptr && PyDict_Check(first)) {
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    Py_ssize_t pos = 0;
    while (PyDict_Next(first, &pos, &key, &value)) {
      lists |= PyList_Check(value) || PyTuple_Check(value);
    }
  }
  if (!lists) return {};
  return c.Run([&](cove::Client& cl) -> absl::StatusOr<std::set<std::string>> {
    std::set<std::string> names;
    auto d = cl.DescribeCollection(collection, call);
    if (!d.ok()) return names;
    for (const cove::FieldSchema& f : d->schema.fields) {
      if (f.type == cove::DataType::kFloatVector) names.insert(f.name);
    }
    return names;
  });
}

cove::InsertRequest MakeInsertRequest(
    const std::string& collection, py::handle rows, py::handle columns,
    const std::string& partition,
    const std::set<std::string>* float_vector_fields = nullptr) {
  cove::InsertRequest request;
  request.collection_name = collection;
  request.partition_name = partition;
  if (!rows.is_none() && !columns.is_none()) {
    RaiseInvalid("insert: give rows or columns, not both");
  }
  if (!rows.is_none()) request.rows = ToRows(rows, float_vector_fields);
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

// True for a non-empty list or tuple of str (query texts of a full-text
// search).
bool IsTextList(py::handle data) {
  if (!py::isinstance<py::list>(data) && !py::isinstance<py::tuple>(data)) {
    return false;
  }
  py::sequence seq = py::reinterpret_borrow<py::sequence>(data);
  return py::len(seq) > 0 && py::isinstance<py::str>(seq[0]);
}

// True for a numpy uint8 array (binary codes, one per row when 2-D).
bool IsUint8Array(py::handle h) {
  if (!py::isinstance<py::array>(h)) return false;
  const py::array a = py::reinterpret_borrow<py::array>(h);
  return a.dtype().kind() == 'u' && a.itemsize() == 1 &&
         (a.ndim() == 1 || a.ndim() == 2);
}

// Binary query codes (BINARY_VECTOR fields): bytes (pymilvus' form) or a
// numpy uint8 array, one or a list of them, or a 2-D uint8 array of rows.
void FillBinaryVectors(cove::SearchRequest* req, py::handle vectors,
                       bool listed) {
  auto add = [&](py::handle code, const std::string& what) {
    if (PyBytes_Check(code.ptr())) {
      req->vector_values.push_back(ToValue(code, what));
      return;
    }
    if (!IsUint8Array(code)) {
      RaiseInvalid(what +
                   ": expected binary codes like the others (bytes or a "
                   "numpy uint8 array)");
    }
    const py::array a = py::reinterpret_borrow<py::array>(code);
    const std::string raw = py::bytes(a.attr("tobytes")());
    const size_t rows = a.ndim() == 2 ? static_cast<size_t>(a.shape(0)) : 1;
    const size_t n = rows == 0 ? 0 : raw.size() / rows;
    for (size_t r = 0; r < rows; ++r) {
      const auto* p = reinterpret_cast<const uint8_t*>(raw.data()) + r * n;
      req->vector_values.push_back(
          Value::BinaryVector(std::vector<uint8_t>(p, p + n)));
    }
  };
  if (!listed) {
    add(vectors, "search: data");
    return;
  }
  size_t i = 0;
  for (py::handle code : vectors) {
    add(code, "search: data[" + std::to_string(i++) + "]");
  }
}

// A request's query vectors: dense (one vector or a matrix), binary codes
// (bytes or numpy uint8 arrays), or sparse (one sparse vector, a list of
// them, or a scipy sparse matrix, a row each).
void FillVectors(cove::SearchRequest* req, py::handle vectors) {
  py::handle first = vectors;
  const bool listed =
      py::isinstance<py::list>(vectors) || py::isinstance<py::tuple>(vectors);
  if (listed && py::len(vectors) > 0) {
    first = py::reinterpret_borrow<py::sequence>(vectors)[0];
  }
  if (PyBytes_Check(first.ptr()) || IsUint8Array(first)) {
    FillBinaryVectors(req, vectors, listed);
    return;
  }
  if (IsSparseLike(first)) {
    std::vector<py::object> rows;
    if (listed) {
      for (py::handle row : vectors)
        rows.push_back(py::reinterpret_borrow<py::object>(row));
    } else if (!PyDict_Check(vectors.ptr())) {
      // A scipy matrix: one query per row.
      py::object csr = vectors.attr("tocsr")();
      const int64_t n = py::tuple(csr.attr("shape"))[0].cast<int64_t>();
      for (int64_t r = 0; r < n; ++r) rows.push_back(csr[py::int_(r)]);
    } else {
      rows.push_back(py::reinterpret_borrow<py::object>(vectors));
    }
    for (size_t r = 0; r < rows.size(); ++r) {
      const std::string what = "search: data[" + std::to_string(r) + "]";
      if (!IsSparseLike(rows[r]) && !PyDict_Check(rows[r].ptr())) {
        RaiseInvalid(what +
                     ": expected a sparse vector like the others (a "
                     "dict with int keys or a scipy sparse row)");
      }
      req->sparse_vectors.push_back(
          PyDict_Check(rows[r].ptr()) && py::len(rows[r]) == 0
              ? cove::SparseVector{}
              : ToSparse(rows[r], what).AsSparseVector());
    }
    return;
  }
  FloatMatrix m = ToFloatMatrix(vectors, "search: data");
  req->dim = m.dim;
  // The one copy: from the caller's buffer into the request.
  req->vectors.assign(m.data(), m.data() + m.rows * m.dim);
}

}  // namespace

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
      .value("FLOAT_VECTOR", cove::DataType::kFloatVector)
      .value("FLOAT16_VECTOR", cove::DataType::kFloat16Vector)
      .value("BFLOAT16_VECTOR", cove::DataType::kBFloat16Vector)
      .value("BINARY_VECTOR", cove::DataType::kBinaryVector)
      .value("SPARSE_FLOAT_VECTOR", cove::DataType::kSparseFloatVector);
  py::enum_<cove::MetricType>(m, "MetricType", "Similarity measures.")
      .value("L2", cove::MetricType::kL2)
      .value("IP", cove::MetricType::kIP)
      .value("COSINE", cove::MetricType::kCosine)
      .value("BM25", cove::MetricType::kBM25)
      .value("HAMMING", cove::MetricType::kHamming)
      .value("JACCARD", cove::MetricType::kJaccard)
      .value("SUBSTRUCTURE", cove::MetricType::kSubstructure)
      .value("SUPERSTRUCTURE", cove::MetricType::kSuperstructure);
  py::enum_<cove::FunctionType>(m, "FunctionType",
                                "Schema function kinds (Milvus numbers).")
      .value("UNKNOWN", cove::FunctionType::kUnknown)
      .value("BM25", cove::FunctionType::kBM25);
  py::enum_<cove::IndexType>(m, "IndexType", "Index types (vector and scalar).")
      .value("FLAT", cove::IndexType::kFlat)
      .value("IVF_FLAT", cove::IndexType::kIvfFlat)
      .value("IVF_SQ8", cove::IndexType::kIvfSq8)
      .value("HNSW", cove::IndexType::kHnsw)
      .value("HNSW_SQ", cove::IndexType::kHnswSq)
      .value("AUTOINDEX", cove::IndexType::kAutoIndex)
      .value("IVF_PQ", cove::IndexType::kIvfPq)
      .value("SCANN", cove::IndexType::kScann)
      .value("SPARSE_INVERTED_INDEX", cove::IndexType::kSparseInvertedIndex)
      .value("SPARSE_WAND", cove::IndexType::kSparseWand)
      .value("DISKANN", cove::IndexType::kDiskAnn)
      .value("STL_SORT", cove::IndexType::kStlSort)
      .value("Trie", cove::IndexType::kTrie)
      .value("BITMAP", cove::IndexType::kBitmap)
      .value("INVERTED", cove::IndexType::kInverted)
      .value("BIN_FLAT", cove::IndexType::kBinFlat)
      .value("BIN_IVF_FLAT", cove::IndexType::kBinIvfFlat);
  py::enum_<cove::ConsistencyLevel>(m, "ConsistencyLevel",
                                    "Read consistency levels (Milvus numbers).")
      .value("STRONG", cove::ConsistencyLevel::kStrong)
      .value("SESSION", cove::ConsistencyLevel::kSession)
      .value("BOUNDED", cove::ConsistencyLevel::kBounded)
      .value("EVENTUALLY", cove::ConsistencyLevel::kEventually)
      .value("CUSTOMIZED", cove::ConsistencyLevel::kCustomized);
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
        "'FLAT', 'IVF_FLAT', 'IVF_SQ8', 'IVF_PQ', 'SCANN', 'HNSW', 'HNSW_SQ' "
        "or 'AUTOINDEX'.");
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
      .def_readwrite("enable_analyzer", &cove::FieldSchema::enable_analyzer)
      .def_readwrite("analyzer_params", &cove::FieldSchema::analyzer_params,
                     "Milvus' analyzer_params as JSON text (empty: standard).")
      .def_readwrite("enable_match", &cove::FieldSchema::enable_match)
      .def_readwrite("is_partition_key", &cove::FieldSchema::is_partition_key)
      .def_readwrite("is_clustering_key", &cove::FieldSchema::is_clustering_key)
      .def_readwrite("properties", &cove::FieldSchema::properties,
                     "Field properties ('mmap.enabled').")
      .def_readwrite("is_function_output",
                     &cove::FieldSchema::is_function_output)
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

  py::class_<cove::FunctionSchema>(
      m, "FunctionSchema",
      "A schema function (BM25: an analyzed VARCHAR to a sparse field).")
      .def(py::init<>())
      .def_readwrite("name", &cove::FunctionSchema::name)
      .def_readwrite("description", &cove::FunctionSchema::description)
      .def_readwrite("type", &cove::FunctionSchema::type)
      .def_readwrite("input_field_names",
                     &cove::FunctionSchema::input_field_names)
      .def_readwrite("output_field_names",
                     &cove::FunctionSchema::output_field_names)
      .def_readwrite("params", &cove::FunctionSchema::params);

  py::class_<cove::CollectionSchema>(m, "CollectionSchema",
                                     "A collection schema.")
      .def(py::init<>())
      .def_readwrite("functions", &cove::CollectionSchema::functions,
                     "The functions (a copy; use add_function to append).")
      .def(
          "add_function",
          [](cove::CollectionSchema& s, const cove::FunctionSchema& f)
              -> cove::CollectionSchema& { return s.AddFunction(f); },
          py::arg("function"), py::return_value_policy::reference_internal,
          "Appends a function and returns the schema.")
      .def_readwrite("fields", &cove::CollectionSchema::fields,
                     "The fields (a copy; use add_field to append).")
      .def_readwrite("enable_dynamic_field",
                     &cove::CollectionSchema::enable_dynamic_field)
      .def_readwrite("description", &cove::CollectionSchema::description)
      .def_readwrite("consistency_level",
                     &cove::CollectionSchema::consistency_level)
      .def_readwrite("properties", &cove::CollectionSchema::properties,
                     "Collection properties, Milvus keys and string values.")
      .def_readwrite("num_partitions", &cove::CollectionSchema::num_partitions,
                     "With a partition key: its number of partitions.")
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
      .def_readwrite("consistency_level",
                     &cove::QuickCollectionOptions::consistency_level)
      .def_readwrite("properties", &cove::QuickCollectionOptions::properties)
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
      .def_readonly("state", &cove::IndexDescription::state)
      .def_readonly("properties", &cove::IndexDescription::properties);

  py::class_<cove::DatabaseDescription>(m, "DatabaseDescription",
                                        "What describe_database returns.")
      .def_readonly("name", &cove::DatabaseDescription::name)
      .def_readonly("id", &cove::DatabaseDescription::id)
      .def_readonly("created_timestamp",
                    &cove::DatabaseDescription::created_timestamp)
      .def_readonly("properties", &cove::DatabaseDescription::properties);

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
          [](PyClient& c, const std::string& name,
             const std::map<std::string, std::string>& properties,
             const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.connection()->CreateDatabase(name, properties, o);
            });
          },
          py::arg("name"),
          py::arg("properties") = std::map<std::string, std::string>(), call,
          "Creates a database (with properties).")
      .def(
          "describe_database",
          [](PyClient& c, const std::string& name, const CallOptions& o) {
            return c.Run([&](Client& cl) {
              return cl.connection()->DescribeDatabase(name, o);
            });
          },
          py::arg("name"), call, "Id, creation time and properties.")
      .def(
          "alter_database_properties",
          [](PyClient& c, const std::string& name,
             const std::map<std::string, std::string>& set,
             const std::vector<std::string>& remove, const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.connection()->AlterDatabaseProperties(name, set, remove,
                                                              o);
            });
          },
          py::arg("name"), py::arg("set"), py::arg("remove"), call,
          "Sets and removes database properties.")
      .def(
          "alter_collection_properties",
          [](PyClient& c, const std::string& name,
             const std::map<std::string, std::string>& set,
             const std::vector<std::string>& remove, const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.connection()->AlterCollectionProperties(name, set,
                                                                remove, o);
            });
          },
          py::arg("name"), py::arg("set"), py::arg("remove"), call,
          "Sets and removes collection properties.")
      .def(
          "alter_collection_field",
          [](PyClient& c, const std::string& collection,
             const std::string& field,
             const std::map<std::string, std::string>& set,
             const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.connection()->AlterCollectionField(collection, field,
                                                           set, o);
            });
          },
          py::arg("collection"), py::arg("field"), py::arg("set"), call,
          "Sets field properties (max_length, max_capacity, mmap.enabled).")
      .def(
          "alter_index_properties",
          [](PyClient& c, const std::string& collection,
             const std::string& index,
             const std::map<std::string, std::string>& set,
             const std::vector<std::string>& remove, const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.connection()->AlterIndexProperties(collection, index,
                                                           set, remove, o);
            });
          },
          py::arg("collection"), py::arg("index"), py::arg("set"),
          py::arg("remove"), call, "Sets and removes index properties.")
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
             const std::string& new_name, const std::string& new_db_name,
             const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.RenameCollection(old_name, new_name, new_db_name, o);
            });
          },
          py::arg("old_name"), py::arg("new_name"), py::arg("new_db_name") = "",
          call, "Renames a collection, into another database if named.")
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
          [](PyClient& c, const std::string& name,
             const std::vector<std::string>& load_fields,
             bool skip_load_dynamic_field, const CallOptions& o) {
            cove::LoadOptions options;
            options.load_fields = load_fields;
            options.skip_load_dynamic_field = skip_load_dynamic_field;
            c.Run([&](Client& cl) {
              return cl.LoadCollection(name, options, o);
            });
          },
          py::arg("name"), py::arg("load_fields") = std::vector<std::string>(),
          py::arg("skip_load_dynamic_field") = false, call,
          "Loads a collection (some fields only: partial load).")
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
      .def(
          "load_partitions",
          [](PyClient& c, const std::string& name,
             const std::vector<std::string>& partitions, const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.LoadPartitions(name, partitions, o);
            });
          },
          py::arg("name"), py::arg("partitions"), call,
          "Loads partitions of a collection.")
      .def(
          "release_partitions",
          [](PyClient& c, const std::string& name,
             const std::vector<std::string>& partitions, const CallOptions& o) {
            c.Run([&](Client& cl) {
              return cl.ReleasePartitions(name, partitions, o);
            });
          },
          py::arg("name"), py::arg("partitions"), call,
          "Releases partitions of a collection.")
      .def(
          "get_partitions_load_state",
          [](PyClient& c, const std::string& name,
             const std::vector<std::string>& partitions, const CallOptions& o) {
            return c.Run([&](Client& cl) {
              return cl.GetLoadState(name, partitions, o);
            });
          },
          py::arg("name"), py::arg("partitions"), call,
          "kLoaded when every named partition is loaded.")
      .def(
          "get_partition_stats",
          [](PyClient& c, const std::string& name, const std::string& partition,
             const CallOptions& o) {
            cove::CollectionStats s = c.Run([&](Client& cl) {
              return cl.GetPartitionStats(name, partition, o);
            });
            py::dict out;
            out["row_count"] = s.row_count;
            return out;
          },
          py::arg("name"), py::arg("partition"), call,
          "{'row_count': n} of one partition.")
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
            const std::set<std::string> vector_fields =
                rows.is_none() ? std::set<std::string>()
                               : FloatVectorFields(c, coll, rows, o);
            cove::InsertRequest req = MakeInsertRequest(
                coll, rows, columns, partition, &vector_fields);
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
            const std::set<std::string> vector_fields =
                rows.is_none() ? std::set<std::string>()
                               : FloatVectorFields(c, coll, rows, o);
            cove::InsertRequest req = MakeInsertRequest(
                coll, rows, columns, partition, &vector_fields);
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
             const std::string& group_by_field, int64_t group_size,
             bool strict_group_size, const CallOptions& o) {
            cove::SearchRequest req;
            req.collection_name = coll;
            if (IsTextList(vectors)) {
              // Full-text search: query texts for a BM25 output field.
              req.texts = ToStrings(vectors);
            } else {
              FillVectors(&req, vectors);
            }
            req.group_by_field = group_by_field;
            req.group_size = group_size;
            req.strict_group_size = strict_group_size;
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
          py::arg("group_by_field") = "", py::arg("group_size") = 1,
          py::arg("strict_group_size") = false, call,
          "Searches nq query vectors (a float32 (nq, dim) array is read in "
          "place). Returns per query (ids, distances, entities). With "
          "group_by_field: limit groups of up to group_size hits each.")
      .def(
          "hybrid_search",
          [](PyClient& c, const std::string& coll, py::list requests,
             const std::string& ranker, double k, std::vector<double> weights,
             bool norm_score, int64_t limit, int64_t offset,
             py::object output_fields, py::object partition_names,
             const std::string& group_by_field, int64_t group_size,
             bool strict_group_size, const std::string& group_scorer,
             const CallOptions& o) {
            cove::HybridSearchRequest req;
            req.collection_name = coll;
            req.group_by_field = group_by_field;
            req.group_size = group_size;
            req.strict_group_size = strict_group_size;
            req.group_scorer = group_scorer;
            for (py::handle item : requests) {
              py::dict d = py::reinterpret_borrow<py::dict>(item);
              cove::SearchRequest sub;
              py::object data = d["data"];
              if (IsTextList(data)) {
                sub.texts = ToStrings(data);
              } else {
                FillVectors(&sub, data);
              }
              sub.anns_field = py::cast<std::string>(d["anns_field"]);
              sub.limit = py::cast<int64_t>(d["limit"]);
              sub.filter = py::cast<std::string>(d["filter"]);
              sub.filter_params =
                  ToValueMap(d["filter_params"], "filter_params");
              sub.params = ToValueMap(d["params"], "search params");
              if (!d["metric_type"].is_none()) {
                sub.metric_type = py::cast<cove::MetricType>(d["metric_type"]);
              }
              req.requests.push_back(std::move(sub));
            }
            req.ranker = ranker == "weighted"
                             ? cove::Ranker::Weighted(weights, norm_score)
                             : cove::Ranker::RRF(k);
            req.limit = limit;
            req.offset = offset;
            req.output_fields = ToStrings(output_fields);
            req.partition_names = ToStrings(partition_names);
            cove::SearchResults r =
                c.Run([&](Client& cl) { return cl.HybridSearch(req, o); });
            return FromSearchResults(r);
          },
          py::arg("collection"), py::arg("requests"), py::arg("ranker") = "rrf",
          py::arg("k") = 60.0, py::arg("weights") = std::vector<double>{},
          py::arg("norm_score") = true, py::arg("limit") = 10,
          py::arg("offset") = 0, py::arg("output_fields") = py::none(),
          py::arg("partition_names") = py::none(),
          py::arg("group_by_field") = "", py::arg("group_size") = 1,
          py::arg("strict_group_size") = false, py::arg("group_scorer") = "max",
          call,
          "Hybrid search: requests are dicts (data, anns_field, limit, "
          "filter, filter_params, params, metric_type); ranker 'rrf' (k) or "
          "'weighted' (weights, norm_score). With group_by_field: limit "
          "groups of up to group_size hits, scored by group_scorer (max, "
          "sum, avg). Returns per query (ids, fused scores, entities).")
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

}  // namespace cove_python
