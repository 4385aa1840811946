#pragma once
// Helpers shared by the ai tests: synthetic page images, base64 decoding, and capturing what the
// code logs.

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ai/ai_input.h"
#include "pdf/jpeg_encoder.h"

namespace examq::test {

// Bytes that start and end like a JPEG and differ per page (providers are faked, nothing decodes
// them). Large enough that a leaked base64 copy would be unmistakable.
inline std::string fake_jpeg(int page_number, std::size_t size = 6000) {
  std::string j = "\xFF\xD8\xFF\xE0";
  j += "examq-test-page-" + std::to_string(page_number) + "-";
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(page_number) * 7919u;
  while (j.size() + 2 < size) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    j += static_cast<char>(x & 0xFF);
  }
  j += "\xFF\xD9";
  return j;
}

inline std::vector<ai::PageImage> make_pages(int count, int first_page_number = 1) {
  std::vector<ai::PageImage> pages;
  for (int i = 0; i < count; ++i) {
    int n = first_page_number + i;
    pages.push_back(ai::PageImage{n, 1240, 1754, fake_jpeg(n)});
  }
  return pages;
}

// A real (decodable) grayscale JPEG of width x height: random noise when `noisy` (heavy: about
// a byte a pixel at quality 90), else a smooth pattern (light).
inline std::string real_jpeg(int width, int height, bool noisy, int seed = 1) {
  std::vector<unsigned char> pixels(static_cast<std::size_t>(width) * height);
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(seed) * 7919u;
  for (int r = 0; r < height; ++r) {
    for (int c = 0; c < width; ++c) {
      unsigned char v;
      if (noisy) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v = static_cast<unsigned char>(x & 0xFF);
      } else {
        v = static_cast<unsigned char>((r / 40 + c / 40) % 2 ? 240 : 30);
      }
      pixels[static_cast<std::size_t>(r) * width + c] = v;
    }
  }
  pdf::JpegEncoder encoder(90);
  return encoder.encode(pixels.data(), width, height, width, pdf::JpegEncoder::PixelLayout::gray8);
}

// `jpeg` (a real_jpeg) with its frame header claiming width x height: a decompression bomb's
// header on a few KB of data.
inline std::string with_declared_size(std::string jpeg, int width, int height) {
  const std::size_t sof = jpeg.find("\xFF\xC0");
  if (sof == std::string::npos) throw std::runtime_error("no SOF0 marker");
  jpeg[sof + 5] = static_cast<char>(height >> 8);
  jpeg[sof + 6] = static_cast<char>(height & 0xFF);
  jpeg[sof + 7] = static_cast<char>(width >> 8);
  jpeg[sof + 8] = static_cast<char>(width & 0xFF);
  return jpeg;
}

inline std::string base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (in.size() % 4 != 0) throw std::runtime_error("base64 length is not a multiple of 4");
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    for (int k = 0; k < 4; ++k) {
      v[k] = in[i + k] == '=' ? 0 : value(in[i + k]);
      if (v[k] < 0) throw std::runtime_error("not base64");
    }
    std::uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xFF);
    if (in[i + 2] != '=') out += static_cast<char>((n >> 8) & 0xFF);
    if (in[i + 3] != '=') out += static_cast<char>(n & 0xFF);
  }
  return out;
}

// Routes spdlog's default logger into a string (every level) while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

}  // namespace examq::test
