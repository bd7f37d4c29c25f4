#pragma once
// A non-owning view of a dense tensor: pointer, dtype, shape, strides (in elements), device.
// Kernels take these and never see a framework tensor.
#include <array>
#include <cstdint>
#include <string>

namespace radial {

enum class DType { f32, f16, bf16, f64, i32 };
enum class DeviceType { cpu, cuda };

std::string dtype_name(DType dtype);
int64_t dtype_bytes(DType dtype);

inline constexpr int kMaxRank = 4;

struct TensorView {
  void* data = nullptr;
  DType dtype = DType::f32;
  DeviceType device = DeviceType::cpu;
  int device_index = 0;
  int rank = 0;
  std::array<int64_t, kMaxRank> shape{};
  std::array<int64_t, kMaxRank> strides{};  // in elements

  int64_t numel() const;
  std::string shape_string() const;  // "[2, 300, 3, 64]"
  bool same_shape(const TensorView& other) const;
};

// A contiguous (row-major) view of the given shape.
TensorView contiguous_view(void* data, DType dtype, std::initializer_list<int64_t> shape,
                           DeviceType device = DeviceType::cpu, int device_index = 0);

}  // namespace radial
