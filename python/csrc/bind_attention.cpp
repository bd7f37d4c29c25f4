// Attention on raw views: Python passes tensor addresses (int), dtype names, shapes, strides, the
// device and a stream handle (cudaStream_t as an int, 0 on the CPU). The argument structs mirror the
// C++ ones field for field, so the checks and error texts are the core's own.
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "radial/attention.hpp"
#include "radial/error.hpp"
#include "radial/reference.hpp"
#include "radial/tensor_view.hpp"

namespace py = pybind11;

namespace radial::python {
namespace {

DType parse_dtype(const std::string& name) {
  for (DType dtype : {DType::f32, DType::f16, DType::bf16, DType::f64, DType::i32})
    if (dtype_name(dtype) == name) return dtype;
  throw ArgumentError("dtype", "a dtype name: f32, f16, bf16, f64 or i32", "'" + name + "'");
}

DeviceType parse_device(const std::string& name) {
  if (name == "cpu") return DeviceType::cpu;
  if (name == "cuda") return DeviceType::cuda;
  throw ArgumentError("device", "'cpu' or 'cuda'", "'" + name + "'");
}

TensorView make_view(uintptr_t address, const std::string& dtype, const std::vector<int64_t>& shape,
                     const std::vector<int64_t>& strides, const std::string& device, int device_index) {
  if (shape.size() > static_cast<size_t>(kMaxRank))
    throw ArgumentError("shape", "rank <= " + std::to_string(kMaxRank), std::to_string(shape.size()));
  if (strides.size() != shape.size())
    throw ArgumentError("strides", std::to_string(shape.size()) + " strides like shape",
                        std::to_string(strides.size()));
  TensorView view;
  view.data = reinterpret_cast<void*>(address);
  view.dtype = parse_dtype(dtype);
  view.device = parse_device(device);
  view.device_index = device_index;
  view.rank = static_cast<int>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    view.shape[i] = shape[i];
    view.strides[i] = strides[i];
  }
  return view;
}

template <typename T>
const T* pointer(uintptr_t address) {
  return reinterpret_cast<const T*>(address);
}

void* stream_handle(uintptr_t stream) { return reinterpret_cast<void*>(stream); }

}  // namespace

void bind_attention(py::module_& m) {
#ifdef RADIAL_WITH_CUDA
  m.attr("WITH_CUDA") = true;
#else
  m.attr("WITH_CUDA") = false;
#endif
  py::class_<TensorView>(m, "TensorView")
      .def(py::init(&make_view), py::arg("address"), py::arg("dtype"), py::arg("shape"), py::arg("strides"),
           py::arg("device") = "cpu", py::arg("device_index") = 0)
      .def_property_readonly("address", [](const TensorView& v) { return reinterpret_cast<uintptr_t>(v.data); })
      .def_property_readonly("dtype", [](const TensorView& v) { return dtype_name(v.dtype); })
      .def_property_readonly("shape", [](const TensorView& v) {
        return std::vector<int64_t>(v.shape.begin(), v.shape.begin() + v.rank);
      })
      .def_property_readonly("strides", [](const TensorView& v) {
        return std::vector<int64_t>(v.strides.begin(), v.strides.begin() + v.rank);
      })
      .def("__repr__", [](const TensorView& v) {
        return "TensorView(" + dtype_name(v.dtype) + ", " + v.shape_string() + ")";
      });

  py::class_<BlockSparseView>(m, "BlockSparseView")
      .def(py::init([](int64_t seq_len, int32_t num_blocks, int32_t block_size, uintptr_t row_offsets,
                       uintptr_t col_indices, uintptr_t col_offsets, uintptr_t row_indices) {
             return BlockSparseView{seq_len,
                                    num_blocks,
                                    block_size,
                                    pointer<int32_t>(row_offsets),
                                    pointer<int32_t>(col_indices),
                                    pointer<int32_t>(col_offsets),
                                    pointer<int32_t>(row_indices)};
           }),
           py::arg("seq_len"), py::arg("num_blocks"), py::arg("block_size"), py::arg("row_offsets"),
           py::arg("col_indices"), py::arg("col_offsets") = 0, py::arg("row_indices") = 0,
           "Addresses of int32 arrays on the device of q; the CSC pair only for the backward pass.")
      .def_readonly("seq_len", &BlockSparseView::seq_len)
      .def_readonly("num_blocks", &BlockSparseView::num_blocks)
      .def_readonly("block_size", &BlockSparseView::block_size);

  py::class_<AttentionForwardArgs>(m, "AttentionForwardArgs")
      .def(py::init([](TensorView q, TensorView k, TensorView v, TensorView out, TensorView lse,
                       BlockSparseView layout, uintptr_t kv_valid_len, float scale, uintptr_t forward_schedule) {
             return AttentionForwardArgs{q,     k,    v, out, lse, layout, pointer<int32_t>(kv_valid_len),
                                         scale, pointer<int32_t>(forward_schedule)};
           }),
           py::arg("q"), py::arg("k"), py::arg("v"), py::arg("out"), py::arg("lse"), py::arg("layout"),
           py::arg("kv_valid_len"), py::arg("scale"), py::arg("forward_schedule") = 0,
           "kv_valid_len: address of (B) int32 on q's device, 0 for none. forward_schedule: address of a radial "
           "mask's two-pass plan (radial/two_pass_plans.hpp) on q's device, 0 for none.");

  py::class_<AttentionBackwardArgs>(m, "AttentionBackwardArgs")
      .def(py::init([](TensorView q, TensorView k, TensorView v, TensorView out, TensorView dout, TensorView lse,
                       TensorView dq, TensorView dk, TensorView dv, BlockSparseView layout, uintptr_t kv_valid_len,
                       float scale, bool deterministic, uintptr_t backward_schedule) {
             AttentionBackwardArgs args{q, k, v, out, dout, lse, dq, dk, dv, layout};
             args.kv_valid_len = pointer<int32_t>(kv_valid_len);
             args.scale = scale;
             args.deterministic = deterministic;
             args.backward_schedule = pointer<int32_t>(backward_schedule);
             return args;
           }),
           py::arg("q"), py::arg("k"), py::arg("v"), py::arg("out"), py::arg("dout"), py::arg("lse"), py::arg("dq"),
           py::arg("dk"), py::arg("dv"), py::arg("layout"), py::arg("kv_valid_len"), py::arg("scale"),
           py::arg("deterministic") = false, py::arg("backward_schedule") = 0,
           "backward_schedule: address of a radial mask's backward plan (radial/two_pass_plans.hpp) on q's "
           "device, 0 for none.")
      .def("set_workspace", [](AttentionBackwardArgs& args, uintptr_t address, size_t bytes) {
        args.workspace = reinterpret_cast<void*>(address);
        args.workspace_bytes = bytes;
      }, py::arg("address"), py::arg("bytes"));

  m.def("check_forward_args", &check_forward_args, py::arg("args"));
  m.def("check_backward_args", &check_backward_args, py::arg("args"));
  m.def("attention_backward_workspace_bytes", &attention_backward_workspace_bytes, py::arg("args"));
  // Kernels may run for seconds: let other Python threads go on meanwhile.
  m.def("attention_forward",
        [](const AttentionForwardArgs& args, uintptr_t stream) { attention_forward(args, stream_handle(stream)); },
        py::arg("args"), py::arg("stream") = 0, py::call_guard<py::gil_scoped_release>());
  m.def("attention_backward",
        [](const AttentionBackwardArgs& args, uintptr_t stream) { attention_backward(args, stream_handle(stream)); },
        py::arg("args"), py::arg("stream") = 0, py::call_guard<py::gil_scoped_release>());

  // The float64 oracle (CPU): f64 tensors go here, so gradcheck can run on the operators.
  py::module_ reference = m.def_submodule("reference", "The float64 reference attention (CPU only)");
  reference.def("attention_forward", [](const AttentionForwardArgs& args) { reference::attention_forward(args); },
                py::arg("args"), py::call_guard<py::gil_scoped_release>());
  reference.def("attention_backward",
                [](const AttentionBackwardArgs& args) { reference::attention_backward(args); }, py::arg("args"),
                py::call_guard<py::gil_scoped_release>());
}

}  // namespace radial::python
