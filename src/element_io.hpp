#pragma once
// Scalar element access on CPU tensors of any floating dtype, for the code that works one element
// at a time (the float64 reference, packing into fp32 tiles, epilogues).
#include <cstdint>

#include "radial/half_precision.hpp"
#include "radial/tensor_view.hpp"

namespace radial {

inline double load_as_double(const void* base, DType dtype, int64_t offset) {
  switch (dtype) {
    case DType::f64: return static_cast<const double*>(base)[offset];
    case DType::f32: return static_cast<const float*>(base)[offset];
    case DType::bf16: return bf16_to_float(static_cast<const uint16_t*>(base)[offset]);
    case DType::f16: return f16_to_float(static_cast<const uint16_t*>(base)[offset]);
    case DType::i32: return static_cast<const int32_t*>(base)[offset];
  }
  return 0.0;
}

inline void store_from_double(void* base, DType dtype, int64_t offset, double value) {
  switch (dtype) {
    case DType::f64: static_cast<double*>(base)[offset] = value; return;
    case DType::f32: static_cast<float*>(base)[offset] = static_cast<float>(value); return;
    case DType::bf16:
      static_cast<uint16_t*>(base)[offset] = float_to_bf16(static_cast<float>(value));
      return;
    case DType::f16:
      static_cast<uint16_t*>(base)[offset] = float_to_f16(static_cast<float>(value));
      return;
    case DType::i32: static_cast<int32_t*>(base)[offset] = static_cast<int32_t>(value); return;
  }
}

// Offset of element (b, s, h, 0) of a (B, S, H, D) view, or (b, h, s) of a (B, H, S) view.
inline int64_t token_offset(const TensorView& view, int64_t b, int64_t s, int64_t h) {
  return b * view.strides[0] + s * view.strides[1] + h * view.strides[2];
}
inline int64_t row_stat_offset(const TensorView& view, int64_t b, int64_t h, int64_t s) {
  return b * view.strides[0] + h * view.strides[1] + s * view.strides[2];
}

}  // namespace radial
