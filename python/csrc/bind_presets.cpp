// Model presets: pipeline arguments (height, width, num_frames) to a layout, radial parameters and the
// dense-layers / dense-steps schedule.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "radial/presets.hpp"

namespace py = pybind11;

namespace radial::python {

void bind_presets(py::module_& m) {
  py::class_<RadialSchedule>(m, "RadialSchedule")
      .def_readonly("decay", &RadialSchedule::decay)
      .def_readonly("dense_layers", &RadialSchedule::dense_layers)
      .def_readonly("dense_steps", &RadialSchedule::dense_steps);

  py::class_<ModelPreset>(m, "ModelPreset")
      .def_readonly("name", &ModelPreset::name)
      .def_readonly("family", &ModelPreset::family)
      .def_readonly("heads", &ModelPreset::heads)
      .def_readonly("head_dim", &ModelPreset::head_dim)
      .def_readonly("layers", &ModelPreset::layers)
      .def_readonly("spatial_factor", &ModelPreset::spatial_factor)
      .def_readonly("temporal_factor", &ModelPreset::temporal_factor)
      .def_readonly("text_tokens", &ModelPreset::text_tokens)
      .def_readonly("sink", &ModelPreset::sink)
      .def_readonly("default_height", &ModelPreset::default_height)
      .def_readonly("default_width", &ModelPreset::default_width)
      .def_readonly("default_frames", &ModelPreset::default_frames)
      .def_readonly("default_steps", &ModelPreset::default_steps)
      .def_readonly("base", &ModelPreset::base)
      .def_readonly("extended", &ModelPreset::extended);

  // The presets are static for the process's lifetime: hand out references, never copies.
  m.def("model_presets", &model_presets, py::return_value_policy::reference);
  m.def("find_preset", &find_preset, py::arg("name"), py::return_value_policy::reference);

  py::class_<PresetConfig>(m, "PresetConfig")
      .def_property_readonly("preset", [](const PresetConfig& c) { return c.preset; },
                             py::return_value_policy::reference)
      .def_readonly("layout", &PresetConfig::layout)
      .def_readonly("params", &PresetConfig::params)
      .def_readonly("schedule", &PresetConfig::schedule)
      .def_readonly("extended_length", &PresetConfig::extended_length);

  m.def("configure_preset", &configure_preset, py::arg("name"), py::arg("height"), py::arg("width"),
        py::arg("num_frames"), py::arg("text_tokens") = py::none());
}

}  // namespace radial::python
