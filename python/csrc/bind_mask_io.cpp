// The .mask text format (shared with the reference's test vectors) and PNG pictures of masks.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "radial/mask_io.hpp"

namespace py = pybind11;

namespace radial::python {

void bind_mask_io(py::module_& m) {
  py::class_<MaskFile>(m, "MaskFile")
      .def_readonly("layout", &MaskFile::layout)
      .def_readonly("params", &MaskFile::params)
      .def_readonly("model", &MaskFile::model)
      .def_readonly("density", &MaskFile::density)
      .def_readonly("mask", &MaskFile::mask);

  m.def("read_mask_file", &read_mask_file, py::arg("path"));
  m.def("mask_header", &mask_header, py::arg("layout"), py::arg("params"), py::arg("mask"));
  m.def("write_mask_file", &write_mask_file, py::arg("path"), py::arg("layout"), py::arg("params"),
        py::arg("mask"));
  m.def("write_mask_png", &write_mask_png, py::arg("path"), py::arg("mask"), py::arg("max_pixels") = 2048);
}

}  // namespace radial::python
