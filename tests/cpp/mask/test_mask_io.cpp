// The .mask text format round-trips; the PNG is a real image of the right size; the CLI writes the
// same file as the library and rejects bad input with one line and a non-zero exit.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mask_test_util.hpp"
#include "radial/error.hpp"
#include "radial/mask_io.hpp"
#include "radial/radial_mask.hpp"

namespace radial {
namespace {

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("radial-" + std::to_string(::getpid()) + "-" + name);
}

TEST(MaskIo, TextRoundTrip) {
  const SequenceLayout layout{9, 700, 33, 128};
  const RadialParams params{0.5, true};
  const BlockMask mask = build_radial_mask(layout, params);
  const auto path = temp_file("roundtrip.mask");
  write_mask_file(path.string(), layout, params, mask);
  const MaskFile file = read_mask_file(path.string());
  EXPECT_TRUE(testing::masks_equal(mask, file.mask));
  EXPECT_EQ(file.layout.frames, 9);
  EXPECT_EQ(file.layout.tokens_per_frame, 700);
  EXPECT_EQ(file.layout.text_tokens, 33);
  EXPECT_DOUBLE_EQ(file.params.decay, 0.5);
  EXPECT_TRUE(file.params.sink);
  std::filesystem::remove(path);
}

TEST(MaskIo, MalformedFilesAreRejected) {
  const auto path = temp_file("bad.mask");
  {
    std::ofstream out(path);
    out << "frames=2 tokens_per_frame=100 text_tokens=0 block=128 decay=1.0 model=wan blocks=2 density=1\n11\n1\n";
  }
  EXPECT_THROW(read_mask_file(path.string()), ArgumentError);
  EXPECT_THROW(read_mask_file((path.string() + ".missing")), ArgumentError);
  std::filesystem::remove(path);
}

TEST(MaskIo, PngHasPngSignatureAndIsPooledBelowLimit) {
  const SequenceLayout layout{128, 3600, 0, 128};
  const BlockMask mask = build_radial_mask(layout, {1.0, false});
  const auto path = temp_file("mask.png");
  write_mask_png(path.string(), mask, 2048);
  std::ifstream in(path, std::ios::binary);
  unsigned char header[24] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  EXPECT_EQ(header[1], 'P');
  EXPECT_EQ(header[2], 'N');
  EXPECT_EQ(header[3], 'G');
  const uint32_t width = (header[16] << 24) | (header[17] << 16) | (header[18] << 8) | header[19];
  EXPECT_LE(width, 2048u);
  EXPECT_EQ(width, 1800u);  // 3600 blocks pooled 2:1
  std::filesystem::remove(path);
  EXPECT_THROW(write_mask_png("/nonexistent-dir/x.png", mask), ArgumentError);
}

int run(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

TEST(MaskCli, WritesTheLibrarysMaskAndRejectsBadInput) {
  const char* cli = std::getenv("RADIAL_CLI");
  if (!cli || !std::filesystem::exists(cli)) GTEST_SKIP() << "RADIAL_CLI does not name the built radial tool";
  const std::string radial = cli;
  const auto path = temp_file("cli.mask");
  ASSERT_EQ(run(radial + " mask --preset hunyuanvideo --height 720 --width 1280 --num-frames 117 --out " +
                path.string()), 0);
  const MaskFile file = read_mask_file(path.string());
  EXPECT_TRUE(testing::masks_equal(build_radial_mask({30, 3600, 256, 128}, {0.95, false}), file.mask));
  std::filesystem::remove(path);
  for (const char* bad : {"mask --frames 0 --tokens-per-frame 5", "mask --frames 3 --tokens-per-frame -2",
                          "mask --frames 3 --tokens-per-frame 5 --decay nan",
                          "mask --frames 3 --tokens-per-frame 5 --decay 0",
                          "mask --frames 3 --tokens-per-frame 5 --decay inf", "mask --frames 3",
                          "mask --preset nope --height 16 --width 16 --num-frames 1",
                          "mask --preset wan2.1-t2v-14b --height 720 --width 1280",
                          "mask --preset wan2.1-t2v-14b --frames 3 --height 720 --width 1280 --num-frames 81",
                          "mask --frames 3 --tokens-per-frame 5 --sink --no-sink",
                          "mask --frames 3 --tokens-per-frame 5 --out /nonexistent-dir/x.mask",
                          "mask --frames 3 --tokens-per-frame 5 --block 100", "mask --frames x"}) {
    const int status = run(radial + " " + bad);
    EXPECT_NE(status, 0) << bad;
    EXPECT_TRUE(WIFEXITED(status)) << "crashed: " << bad;
  }
}

}  // namespace
}  // namespace radial
