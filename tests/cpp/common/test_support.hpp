#pragma once
// Helpers every C++ test uses: one seeded generator per test (seed printed so a failure can be
// replayed with RADIAL_TEST_SEED=<seed>), and where the reference's shared test data lives.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace radial::testing {

inline uint64_t test_seed() {
  if (const char* env = std::getenv("RADIAL_TEST_SEED")) return std::strtoull(env, nullptr, 10);
  return std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32);
}

// A generator seeded freshly for each test; the seed goes into the test's output.
inline std::mt19937_64 seeded_rng() {
  const uint64_t seed = test_seed();
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::printf("[ seed     ] RADIAL_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
  return std::mt19937_64(seed);
}

// The reference's vectors, from ../shared/testdata beside the repository, or RADIAL_SHARED_TESTDATA.
inline std::filesystem::path shared_testdata() {
  if (const char* env = std::getenv("RADIAL_SHARED_TESTDATA")) return env;
  return RADIAL_SHARED_TESTDATA;
}

}  // namespace radial::testing
