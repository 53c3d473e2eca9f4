// The parts of cove._core, one Bind function each, called by the module's
// initialization (module.cc).
#ifndef COVE_PYTHON_SRC_BINDINGS_H_
#define COVE_PYTHON_SRC_BINDINGS_H_

#include <pybind11/pybind11.h>

namespace cove_python {

// The data client (data_client.cc): enums, options, request and result
// types, cove::Client and its iterators.
void BindEnums(pybind11::module_& m);
void BindOptions(pybind11::module_& m);
void BindTypes(pybind11::module_& m);
void BindClient(pybind11::module_& m);

// The control-plane client (control_client.cc): its types, ControlClient,
// ControlOperation and EmulatorClient.
void BindControl(pybind11::module_& m);

}  // namespace cove_python

#endif  // COVE_PYTHON_SRC_BINDINGS_H_
