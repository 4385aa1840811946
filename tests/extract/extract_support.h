#pragma once
// Test helpers shared by the extractor's suites: run the text extractor on hand-placed words,
// list the row numbers it found, and apply the OCR label repair to lines of text.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "extract/line.h"
#include "extract/ocr_labels.h"
#include "extract/text_extractor.h"
#include "synthetic_words.h"

namespace examq::test {

using Strings = std::vector<std::string>;

inline std::vector<extract::Question> run(std::vector<pdf::PageText> pages) {
  return extract::TextExtractor().extract(pages, nullptr, {});
}

inline Strings numbers(const std::vector<extract::Question>& qs) {
  Strings out;
  for (const auto& q : qs) out.push_back(q.number);
  return out;
}

// Each text a line of words at x = 50, 20 pt apart, after repair_ocr_labels.
inline Strings repaired(std::initializer_list<std::string_view> texts) {
  std::vector<extract::Line> lines;
  double y = 100;
  for (std::string_view t : texts) {
    extract::Line line;
    line.page_number = 1;
    line.words = words_at(50, y, t);
    line.update_box();
    lines.push_back(std::move(line));
    y += 20;
  }
  extract::repair_ocr_labels(lines);
  Strings out;
  for (const auto& line : lines) out.push_back(line.text());
  return out;
}

}  // namespace examq::test
