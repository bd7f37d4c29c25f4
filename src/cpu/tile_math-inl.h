// The SIMD building blocks of the CPU kernels, compiled once per Highway target: a register-blocked
// fp32 tile product and the softmax pieces. Included by the per-target kernel sources after
// hwy/foreach_target.h, hence the include guard that toggles with HWY_TARGET_TOGGLE.
#if defined(RADIAL_CPU_TILE_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RADIAL_CPU_TILE_MATH_INL_H_
#undef RADIAL_CPU_TILE_MATH_INL_H_
#else
#define RADIAL_CPU_TILE_MATH_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace radial::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using FloatTag = hn::ScalableTag<float>;
using FloatVec = hn::Vec<FloatTag>;

// The register tile of the product: kTileRows x kTileVecs accumulators plus kTileVecs B vectors and
// one broadcast must fit the register file (32 vector registers with AVX-512, 16 below), and enough
// independent accumulators must be in flight to cover the FMA latency on two pipes.
#if HWY_TARGET <= HWY_AVX3
inline constexpr size_t kTileRows = 6;
inline constexpr size_t kTileVecs = 4;
#else
inline constexpr size_t kTileRows = 6;
inline constexpr size_t kTileVecs = 2;
#endif

// c (kRows, kVecs * N) (+)= a (kRows, depth) . b (depth, kVecs * N); row strides lda, ldb, ldc.
template <size_t kRows, size_t kVecs>
HWY_INLINE void MicroTile(const float* HWY_RESTRICT a, size_t lda, const float* HWY_RESTRICT b, size_t ldb,
                          size_t depth, float* HWY_RESTRICT c, size_t ldc, bool accumulate) {
  const FloatTag df;
  const size_t N = hn::Lanes(df);
  FloatVec acc[kRows][kVecs];  // (kRows, kVecs * N)
  HWY_UNROLL(6)
  for (size_t r = 0; r < kRows; ++r) {
    HWY_UNROLL(4)
    for (size_t v = 0; v < kVecs; ++v) acc[r][v] = accumulate ? hn::LoadU(df, c + r * ldc + v * N) : hn::Zero(df);
  }
  for (size_t p = 0; p < depth; ++p) {
    FloatVec bv[kVecs];  // (1, kVecs * N)
    HWY_UNROLL(4)
    for (size_t v = 0; v < kVecs; ++v) bv[v] = hn::LoadU(df, b + p * ldb + v * N);
    HWY_UNROLL(6)
    for (size_t r = 0; r < kRows; ++r) {
      const FloatVec av = hn::Set(df, a[r * lda + p]);
      HWY_UNROLL(4)
      for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::MulAdd(av, bv[v], acc[r][v]);
    }
  }
  HWY_UNROLL(6)
  for (size_t r = 0; r < kRows; ++r) {
    HWY_UNROLL(4)
    for (size_t v = 0; v < kVecs; ++v) hn::StoreU(acc[r][v], df, c + r * ldc + v * N);
  }
}

// Runtime row and vector counts become template arguments here, and only here.
template <size_t kVecs>
HWY_INLINE void MicroTileRows(size_t rows, const float* a, size_t lda, const float* b, size_t ldb, size_t depth,
                              float* c, size_t ldc, bool accumulate) {
  static_assert(kTileRows == 6, "the row remainder switch below covers 1 to 5 rows");
  switch (rows) {
    case 1: return MicroTile<1, kVecs>(a, lda, b, ldb, depth, c, ldc, accumulate);
    case 2: return MicroTile<2, kVecs>(a, lda, b, ldb, depth, c, ldc, accumulate);
    case 3: return MicroTile<3, kVecs>(a, lda, b, ldb, depth, c, ldc, accumulate);
    case 4: return MicroTile<4, kVecs>(a, lda, b, ldb, depth, c, ldc, accumulate);
    case 5: return MicroTile<5, kVecs>(a, lda, b, ldb, depth, c, ldc, accumulate);
    default: return MicroTile<6, kVecs>(a, lda, b, ldb, depth, c, ldc, accumulate);
  }
}

HWY_INLINE void MicroTileAny(size_t rows, size_t vecs, const float* a, size_t lda, const float* b, size_t ldb,
                             size_t depth, float* c, size_t ldc, bool accumulate) {
  static_assert(kTileVecs <= 4, "the vector remainder switch below covers 1 to 4 vectors");
  switch (vecs) {
    case 1: return MicroTileRows<1>(rows, a, lda, b, ldb, depth, c, ldc, accumulate);
    case 2: return MicroTileRows<2>(rows, a, lda, b, ldb, depth, c, ldc, accumulate);
    case 3: return MicroTileRows<3>(rows, a, lda, b, ldb, depth, c, ldc, accumulate);
    default: return MicroTileRows<4>(rows, a, lda, b, ldb, depth, c, ldc, accumulate);
  }
}

// c (rows, cols) (+)= a (rows, depth) . b (depth, cols), fp32 row-major; cols a multiple of the
// vector length. Column slices of b outside, row groups inside, so each b slice stays in L1.
inline void TileProduct(const float* a, size_t lda, size_t rows, const float* b, size_t ldb, size_t depth,
                        size_t cols, float* c, size_t ldc, bool accumulate) {
  const size_t N = hn::Lanes(FloatTag());
  const size_t total_vecs = cols / N;
  for (size_t vec0 = 0; vec0 < total_vecs; vec0 += kTileVecs) {
    const size_t vecs = HWY_MIN(kTileVecs, total_vecs - vec0);
    for (size_t row0 = 0; row0 < rows; row0 += kTileRows) {
      const size_t tile_rows = HWY_MIN(kTileRows, rows - row0);
      MicroTileAny(tile_rows, vecs, a + row0 * lda, lda, b + vec0 * N, ldb, depth, c + row0 * ldc + vec0 * N, ldc,
                   accumulate);
    }
  }
}

inline constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Largest of row[0, count), -inf when count is 0. The row may be read up to the next whole vector.
inline float RowMax(const float* row, size_t count) {
  const FloatTag df;
  const size_t N = hn::Lanes(df);
  FloatVec best = hn::Set(df, kNegInf);
  size_t j = 0;
  for (; j + N <= count; j += N) best = hn::Max(best, hn::LoadU(df, row + j));
  if (j < count) best = hn::Max(best, hn::IfThenElse(hn::FirstN(df, count - j), hn::LoadU(df, row + j), hn::Set(df, kNegInf)));
  return hn::GetLane(hn::MaxOfLanes(df, best));
}

// row[j] = exp(scale * row[j] - shift) for j < count, returning their sum; lanes past count (up
// to the next whole vector) become 0.
inline float ExpShiftedRow(float* row, size_t count, float scale, float shift) {
  const FloatTag df;
  const size_t N = hn::Lanes(df);
  const FloatVec vscale = hn::Set(df, scale), vshift = hn::Set(df, shift);
  FloatVec sum = hn::Zero(df);
  for (size_t j = 0; j < count; j += N) {
    FloatVec p = hn::Exp(df, hn::MulSub(hn::LoadU(df, row + j), vscale, vshift));
    if (j + N > count) p = hn::IfThenElseZero(hn::FirstN(df, count - j), p);
    sum = hn::Add(sum, p);
    hn::StoreU(p, df, row + j);
  }
  return hn::GetLane(hn::SumOfLanes(df, sum));
}

// row[0, count) *= factor; count a multiple of the vector length.
inline void ScaleRow(float* row, size_t count, float factor) {
  const FloatTag df;
  const size_t N = hn::Lanes(df);
  const FloatVec vfactor = hn::Set(df, factor);
  for (size_t j = 0; j < count; j += N) hn::StoreU(hn::Mul(hn::LoadU(df, row + j), vfactor), df, row + j);
}

inline void ZeroRows(float* rows, size_t count, size_t ld) {
  const FloatTag df;
  const size_t N = hn::Lanes(df);
  for (size_t i = 0; i < count; ++i)
    for (size_t j = 0; j < ld; j += N) hn::StoreU(hn::Zero(df), df, rows + i * ld + j);
}

}  // namespace radial::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // RADIAL_CPU_TILE_MATH_INL_H_
