// Every vector produced by the reference's own code must come out bit for bit, header included.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mask_test_util.hpp"
#include "radial/mask_io.hpp"
#include "radial/radial_mask.hpp"
#include "test_support.hpp"

namespace radial {
namespace {

std::vector<std::filesystem::path> vector_files() {
  std::vector<std::filesystem::path> files;
  const auto dir = testing::shared_testdata() / "masks";
  if (std::filesystem::is_directory(dir))
    for (const auto& entry : std::filesystem::directory_iterator(dir))
      if (entry.path().extension() == ".mask") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReferenceVectors, EveryVectorMatchesBitForBit) {
  const auto files = vector_files();
  if (files.empty()) GTEST_SKIP() << "no reference vectors under " << testing::shared_testdata() / "masks";
  EXPECT_GE(files.size(), 16u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    const MaskFile file = read_mask_file(path.string());
    const BlockMask built = build_radial_mask(file.layout, file.params);
    EXPECT_TRUE(testing::masks_equal(file.mask, built));
    EXPECT_NEAR(built.density(), file.density, 5e-7);
  }
}

TEST(ReferenceVectors, WrittenFileIsByteIdentical) {
  const auto files = vector_files();
  if (files.empty()) GTEST_SKIP() << "no reference vectors under " << testing::shared_testdata() / "masks";
  const auto out = std::filesystem::temp_directory_path() / ("radial-vector-" + std::to_string(::getpid()) + ".mask");
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    const MaskFile file = read_mask_file(path.string());
    write_mask_file(out.string(), file.layout, file.params, build_radial_mask(file.layout, file.params));
    EXPECT_EQ(read_text(out), read_text(path));
  }
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace radial
