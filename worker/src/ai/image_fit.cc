#include "ai/image_fit.h"

#include <turbojpeg.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include "pdf/jpeg_encoder.h"

namespace examq::ai {

namespace {

struct Decoder {
  tjhandle handle = tjInitDecompress();
  ~Decoder() {
    if (handle != nullptr) tjDestroy(handle);
  }
};

// The pixels scaled from `src` (w x h, `channels` bytes a pixel) to tw x th by averaging each
// output pixel's source rectangle (tw <= w and th <= h).
std::vector<unsigned char> box_resample(const std::vector<unsigned char>& src, int w, int h, int channels, int tw,
                                        int th) {
  std::vector<unsigned char> out(static_cast<std::size_t>(tw) * th * channels);
  std::vector<unsigned> sum(static_cast<std::size_t>(channels));
  for (int y = 0; y < th; ++y) {
    const int y0 = static_cast<int>(static_cast<long long>(y) * h / th);
    const int y1 = std::max(y0 + 1, static_cast<int>(static_cast<long long>(y + 1) * h / th));
    for (int x = 0; x < tw; ++x) {
      const int x0 = static_cast<int>(static_cast<long long>(x) * w / tw);
      const int x1 = std::max(x0 + 1, static_cast<int>(static_cast<long long>(x + 1) * w / tw));
      std::fill(sum.begin(), sum.end(), 0u);
      for (int sy = y0; sy < y1; ++sy) {
        const unsigned char* row = src.data() + (static_cast<std::size_t>(sy) * w + x0) * channels;
        for (int sx = x0; sx < x1; ++sx, row += channels) {
          for (int c = 0; c < channels; ++c) sum[static_cast<std::size_t>(c)] += row[c];
        }
      }
      const unsigned n = static_cast<unsigned>((y1 - y0) * (x1 - x0));
      unsigned char* dst = out.data() + (static_cast<std::size_t>(y) * tw + x) * channels;
      for (int c = 0; c < channels; ++c) dst[c] = static_cast<unsigned char>((sum[static_cast<std::size_t>(c)] + n / 2) / n);
    }
  }
  return out;
}

// Decodes at the smallest TurboJPEG scaling factor that still gives at least target on both
// sides, then box-filters to target exactly. Throws std::runtime_error on a decoding failure.
std::string shrink(Decoder& d, std::string_view jpeg, Size full, bool gray, Size target, int quality) {
  int count = 0;
  tjscalingfactor* factors = tjGetScalingFactors(&count);
  Size decoded = full;
  for (int i = 0; i < count; ++i) {
    const Size s{TJSCALED(full.width, factors[i]), TJSCALED(full.height, factors[i])};
    if (s.width >= target.width && s.height >= target.height && s.width * 1LL * s.height < decoded.width * 1LL * decoded.height) {
      decoded = s;
    }
  }
  const int channels = gray ? 1 : 3;
  std::vector<unsigned char> pixels(static_cast<std::size_t>(decoded.width) * decoded.height * channels);
  if (tjDecompress2(d.handle, reinterpret_cast<const unsigned char*>(jpeg.data()), static_cast<unsigned long>(jpeg.size()),
                    pixels.data(), decoded.width, 0, decoded.height, gray ? TJPF_GRAY : TJPF_RGB, 0) != 0 &&
      tjGetErrorCode(d.handle) == TJERR_FATAL) {
    throw std::runtime_error(tjGetErrorStr2(d.handle));
  }
  if (decoded != target) pixels = box_resample(pixels, decoded.width, decoded.height, channels, target.width, target.height);
  pdf::JpegEncoder encoder(quality);
  return encoder.encode(pixels.data(), target.width, target.height, target.width * channels,
                        gray ? pdf::JpegEncoder::PixelLayout::gray8 : pdf::JpegEncoder::PixelLayout::rgb24);
}

constexpr int kSmallestSide = 256;  // below this a page is unreadable anyway: stop shrinking

}  // namespace

std::optional<Size> jpeg_dimensions(std::string_view jpeg) {
  Decoder d;
  if (d.handle == nullptr) return std::nullopt;
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(d.handle, reinterpret_cast<const unsigned char*>(jpeg.data()), static_cast<unsigned long>(jpeg.size()),
                          &w, &h, &subsamp, &colorspace) != 0) {
    return std::nullopt;
  }
  return Size{w, h};
}

std::optional<FittedImage> fit_jpeg(std::string_view jpeg, int max_side, std::size_t max_bytes, int quality) {
  Decoder d;
  if (d.handle == nullptr) return std::nullopt;
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(d.handle, reinterpret_cast<const unsigned char*>(jpeg.data()), static_cast<unsigned long>(jpeg.size()),
                          &w, &h, &subsamp, &colorspace) != 0 || w <= 0 || h <= 0) {
    return std::nullopt;
  }
  const Size full{w, h};
  const bool too_large = max_side > 0 && std::max(w, h) > max_side;
  const bool too_heavy = max_bytes > 0 && jpeg.size() > max_bytes;
  if (!too_large && !too_heavy) return std::nullopt;
  const bool gray = colorspace == TJCS_GRAY;
  int side = too_large ? max_side : std::max(w, h);
  try {
    while (true) {
      const Size target = fit_within(full, side);
      std::string out = shrink(d, jpeg, full, gray, target, quality);
      if (max_bytes == 0 || out.size() <= max_bytes || side <= kSmallestSide) return FittedImage{std::move(out), target};
      side = std::max(kSmallestSide, side * 3 / 4);
    }
  } catch (const std::runtime_error&) {
    return std::nullopt;  // a corrupt JPEG: sent as it is, the provider says what is wrong
  }
}

}  // namespace examq::ai
