#include "pdf/jpeg_shrinker.h"

#include <turbojpeg.h>

#include <algorithm>
#include <vector>

#include "pdf/jpeg_encoder.h"

namespace examq::pdf {

namespace {

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

}  // namespace

JpegShrinker::JpegShrinker(std::string_view jpeg, long long max_pixels) : handle_(tjInitDecompress()), jpeg_(jpeg) {
  if (handle_ == nullptr) throw JpegShrinkError("TurboJPEG could not start");
  try {
    int subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(handle_, reinterpret_cast<const unsigned char*>(jpeg.data()), static_cast<unsigned long>(jpeg.size()),
                            &width_, &height_, &subsamp, &colorspace) != 0 ||
        width_ <= 0 || height_ <= 0) {
      throw JpegShrinkError(std::string("not a readable JPEG: ") + tjGetErrorStr2(handle_));
    }
    if (max_pixels > 0 && static_cast<long long>(width_) * height_ > max_pixels) {
      throw JpegTooLarge("the JPEG declares " + std::to_string(width_) + "x" + std::to_string(height_) +
                         " pixels, over the limit of " + std::to_string(max_pixels / 1'000'000) + " Mpixels");
    }
    gray_ = colorspace == TJCS_GRAY;
  } catch (...) {
    tjDestroy(handle_);
    throw;
  }
}

JpegShrinker::~JpegShrinker() {
  if (handle_ != nullptr) tjDestroy(handle_);
}

// Decodes at the smallest TurboJPEG scaling factor that still gives at least the target on both
// sides, then box-filters to the target exactly.
std::string JpegShrinker::shrink(int tw, int th, int quality) {
  if (tw < 1 || th < 1 || tw > width_ || th > height_) throw JpegShrinkError("bad target size");
  int count = 0;
  tjscalingfactor* factors = tjGetScalingFactors(&count);
  int dw = width_, dh = height_;
  for (int i = 0; i < count; ++i) {
    const int sw = TJSCALED(width_, factors[i]), sh = TJSCALED(height_, factors[i]);
    if (sw >= tw && sh >= th && sw * 1LL * sh < dw * 1LL * dh) {
      dw = sw;
      dh = sh;
    }
  }
  const int channels = gray_ ? 1 : 3;
  std::vector<unsigned char> pixels(static_cast<std::size_t>(dw) * dh * channels);
  // TJFLAG_LIMITSCANS: a progressive JPEG with thousands of scans is refused (a CPU bomb).
  // TJFLAG_STOPONWARNING: a truncated or corrupt one too, rather than sent half grey.
  if (tjDecompress2(handle_, reinterpret_cast<const unsigned char*>(jpeg_.data()), static_cast<unsigned long>(jpeg_.size()),
                    pixels.data(), dw, 0, dh, gray_ ? TJPF_GRAY : TJPF_RGB, TJFLAG_LIMITSCANS | TJFLAG_STOPONWARNING) != 0) {
    throw JpegShrinkError(std::string("the JPEG cannot be decoded: ") + tjGetErrorStr2(handle_));
  }
  if (dw != tw || dh != th) pixels = box_resample(pixels, dw, dh, channels, tw, th);
  JpegEncoder encoder(quality);
  return encoder.encode(pixels.data(), tw, th, tw * channels,
                        gray_ ? JpegEncoder::PixelLayout::gray8 : JpegEncoder::PixelLayout::rgb24);
}

}  // namespace examq::pdf
