#pragma once

#include <vector>

namespace examq::pdf {

// An 8-bit grayscale bitmap of a page as displayed (crop box, /Rotate applied), one byte a pixel,
// rows top to bottom, stride == width.
struct GrayBitmap {
  int width = 0, height = 0;
  double dpi = 0;
  std::vector<unsigned char> pixels;
};

}  // namespace examq::pdf
