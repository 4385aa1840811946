#pragma once
// Groups a page's words into lines by baseline. Poppler reports words in content-stream order,
// which is not reading order (a right-aligned "[2]" may come lines later), so order is rebuilt
// from geometry alone.

#include <vector>

#include "extract/line.h"
#include "pdf/page_text.h"

namespace examq::extract {

// Returns the lines formed by `words`, top to bottom, each with its words left to right. Two words
// share a line when each one's vertical centre lies within the other's box, which keeps a bold
// 11 pt number and 10 pt text on one line but separates consecutive lines. Words whose text is
// empty or only whitespace, or whose box is not finite, are dropped; reversed boxes are
// normalised. A single line may span several columns: callers that know
// the page has columns split lines afterwards (see reading_order.h).
std::vector<Line> build_lines(int page_number, std::vector<pdf::Word> words);

}  // namespace examq::extract
