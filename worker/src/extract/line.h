#pragma once
// A line of text as the layout segmenter sees it: words sharing a baseline, left to right.

#include <string>
#include <vector>

#include "pdf/page_text.h"

namespace examq::extract {

struct Line {
  int page_number = 0;
  std::vector<pdf::Word> words;  // left to right, never empty once built
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // union of the words' boxes (points, origin top-left)

  // The words joined by single spaces.
  std::string text() const;
  // Recomputes the bounding box from `words` (after words were removed or split off).
  void update_box();
};

}  // namespace examq::extract
