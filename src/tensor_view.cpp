#include "radial/tensor_view.hpp"

#include "radial/error.hpp"

namespace radial {

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::f64: return "f64";
    case DType::i32: return "i32";
  }
  return "unknown";
}

int64_t dtype_bytes(DType dtype) {
  switch (dtype) {
    case DType::f16:
    case DType::bf16: return 2;
    case DType::f32:
    case DType::i32: return 4;
    case DType::f64: return 8;
  }
  return 0;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= shape[i];
  return n;
}

std::string TensorView::shape_string() const {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

bool TensorView::same_shape(const TensorView& other) const {
  if (rank != other.rank) return false;
  for (int i = 0; i < rank; ++i)
    if (shape[i] != other.shape[i]) return false;
  return true;
}

TensorView contiguous_view(void* data, DType dtype, std::initializer_list<int64_t> shape,
                           DeviceType device, int device_index) {
  if (shape.size() > static_cast<size_t>(kMaxRank))
    throw ArgumentError("shape", "rank <= " + std::to_string(kMaxRank), std::to_string(shape.size()));
  TensorView view;
  view.data = data;
  view.dtype = dtype;
  view.device = device;
  view.device_index = device_index;
  view.rank = static_cast<int>(shape.size());
  int i = 0;
  for (int64_t extent : shape) view.shape[i++] = extent;
  int64_t stride = 1;
  for (int d = view.rank - 1; d >= 0; --d) {
    view.strides[d] = stride;
    stride *= view.shape[d];
  }
  return view;
}

}  // namespace radial
