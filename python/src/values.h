// cove._core's conversions between Python objects and the C++ client's
// types (values, rows, float matrices, seconds), and the one place where a
// non-OK absl::Status becomes a Python exception (through
// cove._errors._from_status). The functions that raise need the GIL.
#ifndef COVE_PYTHON_SRC_VALUES_H_
#define COVE_PYTHON_SRC_VALUES_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cove/cove.h"

namespace cove_python {

namespace py = pybind11;

// --- errors ---------------------------------------------------------------

/// Raises the Python exception for a non-OK status.
[[noreturn]] void RaiseStatus(const absl::Status& status);
/// Raises for a non-OK status.
void Check(const absl::Status& status);
/// The value, or raises the status.
template <typename T>
T Unwrap(absl::StatusOr<T> result) {
  if (!result.ok()) RaiseStatus(result.status());
  return *std::move(result);
}
/// Raises cove.InvalidArgumentError with `message`.
[[noreturn]] void RaiseInvalid(const std::string& message);

// --- values ---------------------------------------------------------------

/// Converts a Python value: None, bool, int, float, str, list/tuple, dict
/// (str keys), numpy scalars and arrays (a 1-D float array is a float
/// vector). `what` names it in errors.
cove::Value ToValue(py::handle h, const std::string& what);
/// True for what pymilvus takes as one sparse vector: a non-empty dict with
/// int keys, or a scipy sparse matrix (anything with tocoo()).
bool IsSparseLike(py::handle h);
/// That sparse vector (indices sorted; a repeated index, a negative one or
/// a non-finite value is InvalidArgumentError naming `what`).
cove::Value ToSparse(py::handle h, const std::string& what);
/// Float vectors as float32 numpy arrays; sparse vectors as {index: value};
/// binary, float16 and bfloat16 vectors as bytes (as pymilvus); JSON-like
/// values as None/bool/int/float/str/list/dict.
py::object FromValue(const cove::Value& v);
/// Rows (a list of dicts, or one dict). Values of the fields named in
/// `float_vector_fields` (the collection's FLOAT_VECTOR fields) that are
/// lists of Python floats are read straight into float vectors.
std::vector<cove::Row> ToRows(
    py::handle rows,
    const std::set<std::string>* float_vector_fields = nullptr);
py::dict FromRow(const cove::Row& row);
py::list FromRows(const std::vector<cove::Row>& rows);
std::vector<cove::Value> ToValues(py::handle h, const std::string& what);
py::list FromValues(const std::vector<cove::Value>& values);
std::map<std::string, cove::Value> ToValueMap(py::handle h,
                                              const std::string& what);
std::vector<std::string> ToStrings(py::handle h);

/// A matrix of float32 query or insert vectors, read through the buffer
/// protocol: a float32 C-contiguous array is used in place (no copy); other
/// inputs (lists, float64 arrays, strided views) are converted by numpy.
struct FloatMatrix {
  py::array_t<float, py::array::c_style | py::array::forcecast> array;
  size_t rows = 0;
  size_t dim = 0;
  const float* data() const { return array.data(); }
};
FloatMatrix ToFloatMatrix(py::handle h, const std::string& what);

// --- durations ------------------------------------------------------------

std::optional<double> ToSeconds(
    const std::optional<std::chrono::milliseconds>& ms);
/// InvalidArgumentError naming `what` for a negative or non-finite number.
std::chrono::milliseconds FromSeconds(double seconds, const char* what);

}  // namespace cove_python

#endif  // COVE_PYTHON_SRC_VALUES_H_
