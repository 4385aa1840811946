#pragma once

#include <string>

namespace examq::pdf {

// Encodes bitmaps to baseline JPEG (4:2:0) in memory with libjpeg-turbo. Not thread-safe: one
// encoder per thread, reused across pages.
class JpegEncoder {
 public:
  enum class PixelLayout { bgrx32, rgb24, gray8 };

  // quality 1..100 (clamped). Throws std::runtime_error if TurboJPEG cannot be initialised.
  explicit JpegEncoder(int quality);
  ~JpegEncoder();
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;

  // `stride` is bytes per row. Throws std::runtime_error with TurboJPEG's message on failure.
  std::string encode(const unsigned char* pixels, int width, int height, int stride,
                     PixelLayout layout);

 private:
  void* handle_;
  int quality_;
};

}  // namespace examq::pdf
