#pragma once
// Page furniture is what a paper prints on every page rather than as part of a question: running
// headers and footers, page numbers, "Turn over", copyright lines, barcodes and candidate
// instructions such as "Do not write outside the box". It must not end up in question text or be
// mistaken for a question number.

#include <string_view>
#include <vector>

#include "extract/line.h"

namespace examq::extract {

struct PageLines {
  int page_number = 0;
  double width = 0, height = 0;
  std::vector<Line> lines;  // top to bottom
  bool scanned = false;     // the words were read by OCR: the page may sit shifted on the scan
};

// True for a line that is furniture wherever it is printed ("Turn over", "[Turn over",
// "© UCLES 2023", "Copyright © 2023 AQA ...", "BLANK PAGE", "END OF QUESTIONS",
// "Question 3 continues on the next page", "Turn over for the next question", "Extra space",
// "Do not write outside the box").
bool is_furniture_text(std::string_view line_text);

// Removes furniture lines from every page, in place. Besides is_furniture_text, a line in the top
// or bottom 9% of its page is furniture when every piece of it (words separated by gaps over
// 15 pt: "IB/M/Jun24/8462/1H ... Turn over" is two pieces) is furniture: a page number ("7",
// "- 7 -", "Page 7 of 12", centred or towards the right), a barcode ("*P12345A0116*"), a paper
// reference ("0620/42/M/J/24"), text ending "Turn over", or text that repeats (digits ignored)
// at about the same height (within 12-24 pt) on at least 30% of the pages, and at least two.
// Repetition needs the whole paper, hence one call for all pages.
void remove_page_furniture(std::vector<PageLines>& pages);

}  // namespace examq::extract
