// The mask engine: sequence layout and radial parameters, the block mask, and the block-sparse layout
// (CSR/CSC index arrays) that the kernels consume. Arrays cross as bytearrays (one copy, writable),
// which numpy.frombuffer and torch.frombuffer read without another copy.
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "radial/block_mask.hpp"
#include "radial/error.hpp"
#include "radial/layout.hpp"
#include "radial/radial_mask.hpp"
#include "radial/sparse_layout.hpp"
#include "radial/two_pass_plans.hpp"

namespace py = pybind11;

namespace radial::python {
namespace {

py::bytearray int32_bytes(const std::vector<int32_t>& values) {
  return py::bytearray(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int32_t));
}

// (num_blocks, num_blocks) bytes, 1 where the block is kept: the layout of a torch.bool tensor.
py::bytearray dense_bytes(const BlockMask& mask) {
  const int64_t n = mask.num_blocks();
  std::string bytes(static_cast<size_t>(n * n), '\0');
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < n; ++c) bytes[static_cast<size_t>(r * n + c)] = mask.test(r, c) ? 1 : 0;
  return py::bytearray(bytes.data(), bytes.size());
}

// Reads (num_blocks, num_blocks) bytes at a CPU address (a contiguous bool or uint8 tensor); any
// non-zero byte keeps its block.
BlockMask mask_from_dense(uintptr_t address, int64_t num_blocks) {
  if (num_blocks < 0) throw ArgumentError("num_blocks", ">= 0", std::to_string(num_blocks));
  if (address == 0 && num_blocks > 0) throw ArgumentError("address", "a non-null CPU address", "0");
  const auto* bytes = reinterpret_cast<const uint8_t*>(address);
  BlockMask mask(num_blocks);
  for (int64_t r = 0; r < num_blocks; ++r)
    for (int64_t c = 0; c < num_blocks; ++c)
      if (bytes[r * num_blocks + c]) mask.set(r, c);
  return mask;
}

}  // namespace

void bind_masks(py::module_& m) {
  m.attr("DEFAULT_BLOCK_SIZE") = kDefaultBlockSize;

  py::class_<SequenceLayout>(m, "SequenceLayout")
      .def(py::init([](int64_t frames, int64_t tokens_per_frame, int64_t text_tokens, int64_t block_size) {
             return SequenceLayout{frames, tokens_per_frame, text_tokens, block_size};
           }),
           py::arg("frames"), py::arg("tokens_per_frame"), py::arg("text_tokens") = 0,
           py::arg("block_size") = kDefaultBlockSize)
      .def_readwrite("frames", &SequenceLayout::frames)
      .def_readwrite("tokens_per_frame", &SequenceLayout::tokens_per_frame)
      .def_readwrite("text_tokens", &SequenceLayout::text_tokens)
      .def_readwrite("block_size", &SequenceLayout::block_size)
      .def_property_readonly("video_tokens", &SequenceLayout::video_tokens)
      .def_property_readonly("seq_len", &SequenceLayout::seq_len)
      .def_property_readonly("num_blocks", &SequenceLayout::num_blocks)
      .def("validate", &SequenceLayout::validate);

  py::class_<RadialParams>(m, "RadialParams")
      .def(py::init([](double decay, bool sink) { return RadialParams{decay, sink}; }), py::arg("decay") = 1.0,
           py::arg("sink") = false)
      .def_readwrite("decay", &RadialParams::decay)
      .def_readwrite("sink", &RadialParams::sink)
      .def("validate", &RadialParams::validate);

  m.def("describe", &describe, py::arg("layout"), py::arg("params"));

  py::class_<BlockMask>(m, "BlockMask")
      .def(py::init<int64_t, bool>(), py::arg("num_blocks"), py::arg("value") = false)
      .def_static("from_dense", &mask_from_dense, py::arg("address"), py::arg("num_blocks"),
                  "A mask from (num_blocks, num_blocks) bytes at a CPU address; non-zero keeps a block.")
      .def_property_readonly("num_blocks", &BlockMask::num_blocks)
      .def("test", &BlockMask::test, py::arg("row"), py::arg("col"))
      .def("count", &BlockMask::count)
      .def("row_count", &BlockMask::row_count, py::arg("row"))
      .def("density", &BlockMask::density)
      .def("dense_bytes", &dense_bytes, "(num_blocks, num_blocks) bytes, 1 where the block is kept")
      .def("__eq__", [](const BlockMask& a, const BlockMask& b) { return a == b; });

  m.def("build_radial_mask", &build_radial_mask, py::arg("layout"), py::arg("params"),
        py::call_guard<py::gil_scoped_release>());

  py::class_<BlockSparseLayout>(m, "BlockSparseLayout")
      .def(py::init<const BlockMask&, int64_t, int64_t>(), py::arg("mask"), py::arg("seq_len"),
           py::arg("block_size") = kDefaultBlockSize)
      .def_property_readonly("seq_len", &BlockSparseLayout::seq_len)
      .def_property_readonly("num_blocks", &BlockSparseLayout::num_blocks)
      .def_property_readonly("block_size", &BlockSparseLayout::block_size)
      .def_property_readonly("nnz", &BlockSparseLayout::nnz)
      .def("density", &BlockSparseLayout::density)
      .def("kept_token_pairs", &BlockSparseLayout::kept_token_pairs)
      .def("kept_forward_flops", &BlockSparseLayout::kept_forward_flops, py::arg("head_dim"),
           py::arg("heads") = 1, py::arg("batch") = 1)
      .def("dense_forward_flops", &BlockSparseLayout::dense_forward_flops, py::arg("head_dim"),
           py::arg("heads") = 1, py::arg("batch") = 1)
      .def("row_offsets", [](const BlockSparseLayout& l) { return int32_bytes(l.row_offsets()); },
           "(num_blocks + 1) int32 CSR offsets, as bytes")
      .def("col_indices", [](const BlockSparseLayout& l) { return int32_bytes(l.col_indices()); },
           "(nnz) int32 key blocks of each query block, as bytes")
      .def("col_offsets", [](const BlockSparseLayout& l) { return int32_bytes(l.col_offsets()); },
           "(num_blocks + 1) int32 CSC offsets, as bytes")
      .def("row_indices", [](const BlockSparseLayout& l) { return int32_bytes(l.row_indices()); },
           "(nnz) int32 query blocks of each key block, as bytes");

  // The two-pass plans (radial/two_pass_plans.hpp): one binding shape for both builders.
  using PlanBuilder = std::vector<int32_t> (*)(const BlockSparseLayout&, const SequenceLayout&, const RadialParams&,
                                               int64_t, int64_t);
  const struct {
    const char* name;
    PlanBuilder build;
    const char* doc;
  } plans[] = {
      {"build_forward_schedule", &build_forward_schedule,
       "The two-pass forward plan of a radial layout, over its rows, int32 as bytes"},
      {"build_backward_schedule", &build_backward_schedule,
       "The two-pass backward (dK/dV) plan of a radial layout, over its columns, int32 as bytes"},
  };
  for (const auto& plan : plans) {
    m.def(
        plan.name,
        [build = plan.build](const BlockSparseLayout& layout, const SequenceLayout& sequence,
                             const RadialParams& params, int64_t near_frames, int64_t group_frames) {
          return int32_bytes(build(layout, sequence, params, near_frames, group_frames));
        },
        py::arg("layout"), py::arg("sequence"), py::arg("params"), py::arg("near_frames") = kNearFrames,
        py::arg("group_frames") = kGroupFrames, plan.doc);
  }
}

}  // namespace radial::python
