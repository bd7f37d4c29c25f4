#include "radial/half_precision.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>

namespace radial {
namespace {

TEST(HalfPrecision, Bf16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16(1.0f + 0x1p-8f), 0x3f80);                 // tie, down to even
  EXPECT_EQ(float_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);             // tie, up to even
  EXPECT_EQ(float_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);      // past the tie
  EXPECT_EQ(float_to_bf16(-2.5f), 0xc020);
  EXPECT_EQ(float_to_bf16(3.4e38f), 0x7f80);                        // rounds to infinity
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::bit_cast<float>(0x7f800001u)))));  // payload in low bits
}

TEST(HalfPrecision, Bf16RoundTripsEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    const float x = bf16_to_float(static_cast<uint16_t>(bits));
    if (std::isnan(x)) continue;
    ASSERT_EQ(float_to_bf16(x), bits) << std::hex << bits;
  }
}

TEST(HalfPrecision, F16RoundTripsEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    const float x = f16_to_float(static_cast<uint16_t>(bits));
    if (std::isnan(x)) {
      EXPECT_EQ(bits & 0x7c00u, 0x7c00u);
      continue;
    }
    ASSERT_EQ(float_to_f16(x), bits) << std::hex << bits;
  }
}

TEST(HalfPrecision, F16ValuesAndRounding) {
  EXPECT_EQ(f16_to_float(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_float(0x0001), 0x1p-24f);
  EXPECT_EQ(float_to_f16(1.0f + 0x1p-11f), 0x3c00);       // tie, down to even
  EXPECT_EQ(float_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);   // tie, up to even
  EXPECT_EQ(float_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(float_to_f16(65520.0f), 0x7c00);              // tie at the top rounds to infinity
  EXPECT_EQ(float_to_f16(0x1p-25f), 0x0000);              // tie between 0 and the smallest subnormal
  EXPECT_EQ(float_to_f16(3 * 0x1p-25f), 0x0002);          // tie, up to even
  EXPECT_EQ(float_to_f16(-0x1p-30f), 0x8000);
  EXPECT_EQ(float_to_f16(0x1p-14f - 0x1p-26f), 0x0400);   // rounds up into the normals
}

}  // namespace
}  // namespace radial
