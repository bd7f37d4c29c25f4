// Presets turn pipeline arguments into the latent geometry of docs/mask-spec.md's table.
#include <gtest/gtest.h>

#include "radial/error.hpp"
#include "radial/presets.hpp"

namespace radial {
namespace {

TEST(Presets, Wan14B720p81Frames) {
  const PresetConfig c = configure_preset("wan2.1-t2v-14b", 720, 1280, 81);
  EXPECT_EQ(c.layout.frames, 21);
  EXPECT_EQ(c.layout.tokens_per_frame, 3600);
  EXPECT_EQ(c.layout.text_tokens, 0);
  EXPECT_TRUE(c.params.sink);
  EXPECT_DOUBLE_EQ(c.params.decay, 0.2);
  EXPECT_EQ(c.schedule.dense_layers, 1);
  EXPECT_EQ(c.schedule.dense_steps, 12);
  EXPECT_FALSE(c.extended_length);
  EXPECT_EQ(c.preset->heads, 40);
  EXPECT_EQ(c.preset->head_dim, 128);
}

TEST(Presets, Wan768p69Frames) {
  const PresetConfig c = configure_preset("wan2.1-t2v-14b", 768, 1280, 69);
  EXPECT_EQ(c.layout.frames, 18);
  EXPECT_EQ(c.layout.tokens_per_frame, 3840);
}

TEST(Presets, WanFourTimesLengthUsesExtendedSchedule) {
  const PresetConfig c = configure_preset("wan2.1-t2v-14b", 720, 1280, 321);
  EXPECT_EQ(c.layout.frames, 81);
  EXPECT_TRUE(c.extended_length);
  EXPECT_DOUBLE_EQ(c.params.decay, 1.0);
  EXPECT_EQ(c.schedule.dense_layers, 2);
  EXPECT_EQ(c.schedule.dense_steps, 2);
}

TEST(Presets, Wan13B480p) {
  const PresetConfig c = configure_preset("wan2.1-t2v-1.3b", 480, 832, 81);
  EXPECT_EQ(c.layout.frames, 21);
  EXPECT_EQ(c.layout.tokens_per_frame, 1560);
  EXPECT_EQ(c.preset->heads, 12);
}

TEST(Presets, Wan22HasWansGeometry) {
  const PresetConfig c = configure_preset("wan2.2-t2v-a14b", 720, 1280, 81);
  EXPECT_EQ(c.layout.frames, 21);
  EXPECT_EQ(c.layout.tokens_per_frame, 3600);
  EXPECT_TRUE(c.params.sink);
}

TEST(Presets, HunyuanVideo117And509Frames) {
  const PresetConfig c = configure_preset("hunyuanvideo", 720, 1280, 117);
  EXPECT_EQ(c.layout.frames, 30);
  EXPECT_EQ(c.layout.tokens_per_frame, 3600);
  EXPECT_EQ(c.layout.text_tokens, 256);
  EXPECT_FALSE(c.params.sink);
  EXPECT_DOUBLE_EQ(c.params.decay, 0.95);
  EXPECT_EQ(c.schedule.dense_layers, 0);
  EXPECT_EQ(c.preset->heads, 24);
  const PresetConfig long_video = configure_preset("hunyuanvideo", 720, 1280, 509, 0);
  EXPECT_EQ(long_video.layout.frames, 128);
  EXPECT_EQ(long_video.layout.text_tokens, 0);
  EXPECT_TRUE(long_video.extended_length);
}

TEST(Presets, Mochi163Frames) {
  const PresetConfig c = configure_preset("mochi-1", 480, 848, 163);
  EXPECT_EQ(c.layout.frames, 28);
  EXPECT_EQ(c.layout.tokens_per_frame, 30 * 53);
  EXPECT_EQ(c.layout.text_tokens, 256);
}

void expect_error(const std::string& argument, auto&& call) {
  try {
    call();
    FAIL() << "no error for " << argument;
  } catch (const ArgumentError& e) {
    EXPECT_EQ(e.argument(), argument) << e.what();
  }
}

TEST(Presets, BadArgumentsNameTheArgument) {
  expect_error("preset", [] { configure_preset("wan3", 720, 1280, 81); });
  expect_error("height", [] { configure_preset("wan2.1-t2v-14b", 721, 1280, 81); });
  expect_error("width", [] { configure_preset("wan2.1-t2v-14b", 720, 0, 81); });
  expect_error("num_frames", [] { configure_preset("wan2.1-t2v-14b", 720, 1280, 80); });
  expect_error("num_frames", [] { configure_preset("mochi-1", 480, 848, 161); });
  expect_error("num_frames", [] { configure_preset("hunyuanvideo", 720, 1280, -3); });
  expect_error("text_tokens", [] { configure_preset("wan2.1-t2v-14b", 720, 1280, 81, 10); });
  expect_error("text_tokens", [] { configure_preset("hunyuanvideo", 720, 1280, 117, -1); });
}

}  // namespace
}  // namespace radial
