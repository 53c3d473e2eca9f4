// cove._core's conversions and errors (see values.h).
#include "values.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace cove_python {

using cove::Value;

// --- errors ---------------------------------------------------------------

[[noreturn]] void RaiseStatus(const absl::Status& status) {
  // Leaked on purpose: no destructor runs at interpreter shutdown.
  static PyObject* factory = nullptr;
  const std::string message(status.message());
  const int code = static_cast<int>(status.code());
  if (factory == nullptr) {
    py::object f = py::module_::import("cove._errors").attr("_from_status");
    factory = f.release().ptr();
  }
  // Messages may quote user input that is not valid UTF-8: escape such
  // bytes instead of failing with UnicodeDecodeError.
  py::object text = py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(
      message.data(), static_cast<Py_ssize_t>(message.size()),
      "backslashreplace"));
  if (!text) throw py::error_already_set();
  py::object exc = py::reinterpret_borrow<py::object>(factory)(code, text);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

void Check(const absl::Status& status) {
  if (!status.ok()) RaiseStatus(status);
}

[[noreturn]] void RaiseInvalid(const std::string& message) {
  RaiseStatus(absl::InvalidArgumentError(message));
}

// --- values ---------------------------------------------------------------

namespace {

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

Value ArrayToValue(const py::array& a, const std::string& what) {
  if (a.ndim() == 0) return ToValue(a.attr("item")(), what);
  const char kind = a.dtype().kind();
  // 16-bit floats keep their bit patterns: numpy float16, and ml_dtypes'
  // bfloat16 (when installed), as pymilvus takes them.
  if (a.ndim() == 1 && a.itemsize() == 2 &&
      (kind == 'f' ||
       py::str(a.dtype().attr("name")).cast<std::string>() == "bfloat16")) {
    // tobytes(): the values in C order, native (little-endian) 16-bit.
    const std::string raw = py::bytes(a.attr("tobytes")());
    std::vector<uint16_t> bits(raw.size() / 2);
    if (!bits.empty()) std::memcpy(bits.data(), raw.data(), bits.size() * 2);
    return kind == 'f' ? Value::Float16Vector(std::move(bits))
                       : Value::BFloat16Vector(std::move(bits));
  }
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

// Appends one (index, value) pair of a sparse vector, checked.
void AddSparse(py::handle index, py::handle value, const std::string& what,
               std::vector<std::pair<uint32_t, float>>* out) {
  if (PyBool_Check(index.ptr()) || !PyLong_Check(index.ptr())) {
    throw py::type_error(what + ": sparse vector indices must be int (got " +
                         TypeName(index) + ")");
  }
  int overflow = 0;
  const long long i = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow != 0 || i < 0 || i >= 0xFFFFFFFFLL) {
    RaiseInvalid(what + ": sparse vector index out of range (expected 0 to " +
                 std::to_string(0xFFFFFFFFLL - 1) + ", got " +
                 std::string(py::str(index)) + ")");
  }
  if (!PyFloat_Check(value.ptr()) && !PyLong_Check(value.ptr()) &&
      PyObject_IsInstance(value.ptr(), NumpyGeneric().ptr()) != 1) {
    throw py::type_error(what + ": sparse vector values must be numbers (got " +
                         TypeName(value) + ")");
  }
  const double v = PyFloat_AsDouble(value.ptr());
  if (v == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  if (!std::isfinite(v)) {
    RaiseInvalid(what + ": sparse vector values must be finite (got " +
                 std::string(py::str(value)) + " at index " +
                 std::to_string(i) + ")");
  }
  out->emplace_back(static_cast<uint32_t>(i), static_cast<float>(v));
}

Value SparseValue(std::vector<std::pair<uint32_t, float>> pairs,
                  const std::string& what) {
  std::sort(pairs.begin(), pairs.end());
  cove::SparseVector v;
  for (size_t k = 0; k < pairs.size(); ++k) {
    if (k > 0 && pairs[k].first == pairs[k - 1].first) {
      RaiseInvalid(what + ": sparse vector index " +
                   std::to_string(pairs[k].first) + " given twice");
    }
    v.indices.push_back(pairs[k].first);
    v.values.push_back(pairs[k].second);
  }
  return Value::Sparse(std::move(v));
}

// A scipy sparse matrix (or anything with tocoo()) of one row.
Value SparseFromCoo(py::handle h, const std::string& what) {
  py::object coo = h.attr("tocoo")();
  if (coo.is(h)) coo = coo.attr("copy")();
  coo.attr("sum_duplicates")();
  py::tuple shape = coo.attr("shape");
  if (py::len(shape) != 2 || shape[0].cast<int64_t>() != 1) {
    RaiseInvalid(what +
                 ": a sparse matrix given as one vector must have one "
                 "row (got shape " +
                 std::string(py::str(shape)) + ")");
  }
  py::list cols = coo.attr("col").attr("tolist")();
  py::list data = coo.attr("data").attr("tolist")();
  std::vector<std::pair<uint32_t, float>> pairs;
  for (size_t k = 0; k < py::len(cols); ++k) {
    AddSparse(cols[k], data[k], what, &pairs);
  }
  return SparseValue(std::move(pairs), what);
}

}  // namespace

bool IsSparseLike(py::handle h) {
  PyObject* o = h.ptr();
  if (PyDict_Check(o)) {
    if (PyDict_Size(o) == 0) return false;
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    Py_ssize_t pos = 0;
    PyDict_Next(o, &pos, &key, &value);
    return PyLong_Check(key) && !PyBool_Check(key);
  }
  return !py::isinstance<py::array>(h) && PyObject_HasAttrString(o, "tocoo");
}

Value ToSparse(py::handle h, const std::string& what) {
  if (PyDict_Check(h.ptr())) {
    std::vector<std::pair<uint32_t, float>> pairs;
    for (auto item : py::reinterpret_borrow<py::dict>(h)) {
      AddSparse(item.first, item.second, what, &pairs);
    }
    return SparseValue(std::move(pairs), what);
  }
  return SparseFromCoo(h, what);
}

// Converts a Python value: None, bool, int, float, str, list/tuple, dict
// (str keys), numpy scalars and arrays (a 1-D float array is a float vector),
// sparse vectors (a dict with int keys, a scipy sparse row).
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
  if (PyBytes_Check(o)) {
    // Raw vector bytes, as pymilvus takes them: a binary vector, or the
    // little-endian values of a FLOAT16 / BFLOAT16 field's row.
    const auto* p = reinterpret_cast<const uint8_t*>(PyBytes_AS_STRING(o));
    return Value::BinaryVector(
        std::vector<uint8_t>(p, p + PyBytes_GET_SIZE(o)));
  }
  if (PyDict_Check(o)) {
    if (IsSparseLike(h)) return ToSparse(h, what);
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
    // Lists of floats are how pymilvus users give vectors: read the items
    // in place, floats and ints without a recursive call.
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    PyObject** items = PySequence_Fast_ITEMS(o);
    Value::Array arr;
    arr.reserve(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
      PyObject* item = items[i];
      if (PyFloat_CheckExact(item)) {
        arr.emplace_back(PyFloat_AS_DOUBLE(item));
      } else {
        arr.push_back(ToValue(item, what));
      }
    }
    return Value(std::move(arr));
  }
  if (py::isinstance<py::array>(h)) {
    return ArrayToValue(py::reinterpret_borrow<py::array>(h), what);
  }
  if (PyObject_IsInstance(o, NumpyGeneric().ptr()) == 1) {
    return ToValue(h.attr("item")(), what);
  }
  // Past the common kinds: a scipy sparse row (tested last, so that lists
  // and arrays of an insert pay no attribute lookup).
  if (IsSparseLike(h)) return ToSparse(h, what);
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
    case Value::Kind::kSparseVector: {
      // As pymilvus: {index: value}.
      const cove::SparseVector& s = v.AsSparseVector();
      py::dict out;
      for (size_t k = 0; k < s.indices.size(); ++k) {
        out[py::int_(s.indices[k])] = py::float_(s.values[k]);
      }
      return std::move(out);
    }
    case Value::Kind::kBinaryVector: {
      const std::vector<uint8_t>& b = v.AsBinaryVector();
      return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
    }
    case Value::Kind::kFloat16Vector:
    case Value::Kind::kBFloat16Vector: {
      // As pymilvus: the vector's bytes (2 per dimension, little-endian).
      const std::vector<uint16_t>& b =
          v.is_float16_vector() ? v.AsFloat16Vector() : v.AsBFloat16Vector();
      std::string bytes(b.size() * 2, '\0');
      for (size_t k = 0; k < b.size(); ++k) {
        bytes[2 * k] = static_cast<char>(b[k] & 0xFF);
        bytes[2 * k + 1] = static_cast<char>(b[k] >> 8);
      }
      return py::bytes(bytes);
    }
  }
  return py::none();
}

namespace {

// A list or tuple given for a FLOAT_VECTOR field, read straight into
// float32 when every item is a Python float (pymilvus users' rows): no
// Value per element. False for anything else, which then goes the general
// way (and is checked, with its messages, by the engine).
bool FloatListToVector(PyObject* o, Value* out) {
  if (!PyList_Check(o) && !PyTuple_Check(o)) return false;
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
  PyObject** items = PySequence_Fast_ITEMS(o);
  std::vector<float> v(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    if (!PyFloat_CheckExact(items[i])) return false;
    v[static_cast<size_t>(i)] = static_cast<float>(PyFloat_AS_DOUBLE(items[i]));
  }
  *out = Value::FloatVector(std::move(v));
  return true;
}

cove::Row ToRow(py::handle h, size_t index,
                const std::set<std::string>* float_vector_fields) {
  const std::string where = "row " + std::to_string(index);
  if (!PyDict_Check(h.ptr())) {
    if (PyMapping_Check(h.ptr()) && PyObject_HasAttrString(h.ptr(), "items")) {
      return ToRow(py::dict(py::reinterpret_borrow<py::object>(h)), index,
                   float_vector_fields);
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
    Value v;
    if (float_vector_fields != nullptr && float_vector_fields->count(key) > 0 &&
        FloatListToVector(item.second.ptr(), &v)) {
      row.emplace(std::move(key), std::move(v));
      continue;
    }
    row.emplace(key, ToValue(item.second, where + ": field '" + key + "'"));
  }
  return row;
}

}  // namespace

std::vector<cove::Row> ToRows(
    py::handle rows, const std::set<std::string>* float_vector_fields) {
  std::vector<cove::Row> out;
  if (PyDict_Check(rows.ptr())) {
    out.push_back(ToRow(rows, 0, float_vector_fields));
    return out;
  }
  if (PyList_Check(rows.ptr())) out.reserve(PyList_GET_SIZE(rows.ptr()));
  size_t i = 0;
  for (py::handle row : rows) {
    out.push_back(ToRow(row, i++, float_vector_fields));
  }
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

}  // namespace cove_python
