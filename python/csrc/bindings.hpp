#pragma once
// One registration function per area of the core API; module.cpp calls them in order.
#include <pybind11/pybind11.h>

namespace radial::python {

void register_errors(pybind11::module_& m);
void bind_masks(pybind11::module_& m);
void bind_presets(pybind11::module_& m);
void bind_mask_io(pybind11::module_& m);
void bind_attention(pybind11::module_& m);

}  // namespace radial::python
