#pragma once
// Child-side only (examq-render fit-image, see image_sandbox.h): decoding an untrusted JPEG and
// re-encoding it smaller. Decoded with TurboJPEG (scaled while decoding where it can, by up to
// 1/8), box-filtered to the exact size and re-encoded with JpegEncoder. Never linked into the
// worker: the worker plans the sizes (ai/image_fit.h) and asks a sandboxed child for the pixels.

#include <stdexcept>
#include <string>
#include <string_view>

namespace examq::pdf {

// The JPEG could not be read or decoded; what() says why.
struct JpegShrinkError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class JpegShrinker {
 public:
  // Reads the header. Throws JpegShrinkError when it cannot be read, or when the image declares
  // more than max_pixels pixels (a decompression bomb; `too_large()` then says so).
  JpegShrinker(std::string_view jpeg, long long max_pixels);
  ~JpegShrinker();
  JpegShrinker(const JpegShrinker&) = delete;
  JpegShrinker& operator=(const JpegShrinker&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }

  // The image at exactly width x height (1..width() by 1..height()), re-encoded at `quality`.
  // Throws JpegShrinkError on a size out of range or any decoding error or warning (a truncated
  // or corrupt file is refused, not shrunk half grey).
  std::string shrink(int width, int height, int quality);

 private:
  void* handle_ = nullptr;  // tjhandle
  std::string_view jpeg_;
  int width_ = 0, height_ = 0;
  bool gray_ = false;
};

// Whether a JpegShrinkError came from the pixel limit.
struct JpegTooLarge : JpegShrinkError {
  using JpegShrinkError::JpegShrinkError;
};

}  // namespace examq::pdf
