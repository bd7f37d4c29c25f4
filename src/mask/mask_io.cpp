#include "radial/mask_io.hpp"

#include <spng.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "radial/error.hpp"

namespace radial {
namespace {

// Python's repr of a float, which the reference's vectors use: shortest round trip, "1.0" not "1".
std::string python_float(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string s(buffer, end);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string fixed6(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6f", value);
  return buffer;
}

int64_t parse_int(const std::map<std::string, std::string>& fields, const std::string& key,
                  const std::string& path) {
  auto it = fields.find(key);
  int64_t value = 0;
  if (it == fields.end() ||
      std::from_chars(it->second.data(), it->second.data() + it->second.size(), value).ec != std::errc())
    throw ArgumentError(path, "a header with an integer '" + key + "='",
                        it == fields.end() ? "no such field" : "'" + it->second + "'");
  return value;
}

double parse_double(const std::map<std::string, std::string>& fields, const std::string& key,
                    const std::string& path) {
  auto it = fields.find(key);
  if (it == fields.end()) throw ArgumentError(path, "a header with '" + key + "='", "no such field");
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    throw ArgumentError(path, "a number in '" + key + "='", "'" + it->second + "'");
  }
}

}  // namespace

std::string mask_header(const SequenceLayout& layout, const RadialParams& params, const BlockMask& mask) {
  return "frames=" + std::to_string(layout.frames) + " tokens_per_frame=" + std::to_string(layout.tokens_per_frame) +
         " text_tokens=" + std::to_string(layout.text_tokens) + " block=" + std::to_string(layout.block_size) +
         " decay=" + python_float(params.decay) + " model=" + (params.sink ? "wan" : "hunyuan") +
         " blocks=" + std::to_string(mask.num_blocks()) + " density=" + fixed6(mask.density());
}

MaskFile read_mask_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ArgumentError("path", "a readable .mask file", "'" + path + "'");
  std::string header;
  std::getline(in, header);
  std::map<std::string, std::string> fields;
  std::istringstream words(header);
  for (std::string word; words >> word;) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
  }
  MaskFile file;
  file.layout.frames = parse_int(fields, "frames", path);
  file.layout.tokens_per_frame = parse_int(fields, "tokens_per_frame", path);
  file.layout.text_tokens = parse_int(fields, "text_tokens", path);
  file.layout.block_size = parse_int(fields, "block", path);
  file.params.decay = parse_double(fields, "decay", path);
  file.model = fields.count("model") ? fields["model"] : "";
  if (file.model != "wan" && file.model != "hunyuan")
    throw ArgumentError(path, "model=wan or model=hunyuan in the header", "'" + file.model + "'");
  file.params.sink = file.model == "wan";
  file.density = parse_double(fields, "density", path);
  const int64_t blocks = parse_int(fields, "blocks", path);
  file.mask = BlockMask(blocks);
  for (int64_t r = 0; r < blocks; ++r) {
    std::string line;
    if (!std::getline(in, line) || static_cast<int64_t>(line.size()) != blocks)
      throw ArgumentError(path, std::to_string(blocks) + " rows of " + std::to_string(blocks) + " '0'/'1'",
                          "a short or missing row " + std::to_string(r));
    for (int64_t c = 0; c < blocks; ++c) {
      if (line[c] == '1') file.mask.set(r, c);
      else if (line[c] != '0')
        throw ArgumentError(path, "only '0' and '1' in mask rows", "'" + std::string(1, line[c]) + "'");
    }
  }
  return file;
}

void write_mask_file(const std::string& path, const SequenceLayout& layout, const RadialParams& params,
                     const BlockMask& mask) {
  std::ofstream out(path);
  if (!out) throw ArgumentError("out", "a writable path", "'" + path + "'");
  out << mask_header(layout, params, mask) << '\n';
  std::string line(static_cast<size_t>(mask.num_blocks()), '0');
  for (int64_t r = 0; r < mask.num_blocks(); ++r) {
    for (int64_t c = 0; c < mask.num_blocks(); ++c) line[c] = mask.test(r, c) ? '1' : '0';
    out << line << '\n';
  }
  if (!out) throw ArgumentError("out", "a writable path", "'" + path + "' (write failed)");
}

void write_mask_png(const std::string& path, const BlockMask& mask, int64_t max_pixels) {
  if (max_pixels < 1) throw ArgumentError("max_pixels", ">= 1", std::to_string(max_pixels));
  const int64_t n = mask.num_blocks();
  if (n == 0) throw ArgumentError("mask", "at least one block", "0 blocks");
  // Small masks are drawn several pixels per block; large ones max-pooled so no kept block vanishes.
  const int64_t pool = (n + max_pixels - 1) / max_pixels;
  const int64_t cells = (n + pool - 1) / pool;
  const int64_t scale = std::max<int64_t>(1, std::min<int64_t>(8, max_pixels / cells));
  const int64_t side = cells * scale;
  constexpr uint8_t kKept = 24, kSkipped = 255;
  std::vector<uint8_t> pixels(static_cast<size_t>(side * side), kSkipped);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < n; ++c)
      if (mask.test(r, c))
        for (int64_t y = 0; y < scale; ++y)
          for (int64_t x = 0; x < scale; ++x)
            pixels[static_cast<size_t>(((r / pool) * scale + y) * side + (c / pool) * scale + x)] = kKept;

  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) throw ArgumentError("png", "a writable path", "'" + path + "'");
  std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(SPNG_CTX_ENCODER), &spng_ctx_free);
  spng_ihdr ihdr{};
  ihdr.width = static_cast<uint32_t>(side);
  ihdr.height = static_cast<uint32_t>(side);
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_GRAYSCALE;
  int status = ctx ? spng_set_png_file(ctx.get(), file.get()) : SPNG_EMEM;
  if (!status) status = spng_set_ihdr(ctx.get(), &ihdr);
  if (!status)
    status = spng_encode_image(ctx.get(), pixels.data(), pixels.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
  if (status) throw RuntimeError("writing PNG '" + path + "': " + spng_strerror(status));
}

}  // namespace radial
