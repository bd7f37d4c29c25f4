// radial._C: the core library on raw pointers (int addresses), shapes, strides and a stream handle.
// The Python package owns everything PyTorch: it allocates outputs and passes their addresses here.
#include "bindings.hpp"

PYBIND11_MODULE(_C, m) {
  m.doc() = "radial core bindings (no PyTorch): masks, presets, mask files, attention kernels";
  radial::python::register_errors(m);
  radial::python::bind_masks(m);
  radial::python::bind_presets(m);
  radial::python::bind_mask_io(m);
  radial::python::bind_attention(m);
}
