// cove._core: the pybind11 binding of the C++ client: the module, its
// parts (bindings.h) and its testing aids.
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

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "bindings.h"
#include "cove/cove.h"
#include "values.h"

namespace py = pybind11;

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
