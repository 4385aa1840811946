#pragma once
// Test helper: words placed the way Poppler reports them, without a PDF, so a unit test can state
// exactly where each word stands.

#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "pdf/page_text.h"

namespace examq::test {

constexpr double kCharWidth = 5.0;   // points per character
constexpr double kSpaceWidth = 3.0;  // an ordinary word space
constexpr double kWordHeight = 10.0;

// The words of `text` starting at x, on the line whose box top is y.
inline std::vector<pdf::Word> words_at(double x, double y, std::string_view text) {
  std::vector<pdf::Word> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') {
      x += kSpaceWidth;
      ++i;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) {
      const double w = kCharWidth * static_cast<double>(j - i);
      out.push_back(pdf::Word{std::string(text.substr(i, j - i)), x, y, x + w, y + kWordHeight});
      x += w;
    }
    i = j;
  }
  return out;
}

// One line made of pieces, each starting at its own x (labels, wording, right-aligned marks).
inline std::vector<pdf::Word> line_at(double y, std::initializer_list<std::pair<double, std::string_view>> pieces) {
  std::vector<pdf::Word> out;
  for (const auto& [x, text] : pieces) {
    auto w = words_at(x, y, text);
    out.insert(out.end(), w.begin(), w.end());
  }
  return out;
}

// An A4 page built from lines.
inline pdf::PageText page_of(int number, std::initializer_list<std::vector<pdf::Word>> lines) {
  pdf::PageText page;
  page.page_number = number;
  page.width = 595;
  page.height = 842;
  for (const auto& l : lines) page.words.insert(page.words.end(), l.begin(), l.end());
  return page;
}

}  // namespace examq::test
