#pragma once

#include <string>
#include <vector>

namespace examq::pdf {
// One word as Poppler's page::text_list() reports it; coordinates in PDF points, origin top-left.
struct Word { std::string text; double x0, y0, x1, y1; };
// The text layer of one page. page_number is 1-based.
struct PageText { int page_number = 0; double width = 0, height = 0; std::vector<Word> words; };
}
