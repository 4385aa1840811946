#include "extract/line_builder.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace examq::extract {

std::string Line::text() const {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w.text;
  }
  return out;
}

void Line::update_box() {
  x0 = y0 = std::numeric_limits<double>::max();
  x1 = y1 = std::numeric_limits<double>::lowest();
  for (const auto& w : words) {
    x0 = std::min(x0, w.x0);
    y0 = std::min(y0, w.y0);
    x1 = std::max(x1, w.x1);
    y1 = std::max(y1, w.y1);
  }
  if (words.empty()) x0 = y0 = x1 = y1 = 0;
}

namespace {

double centre_y(const pdf::Word& w) { return (w.y0 + w.y1) / 2; }

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// A word a hostile or broken text layer may report: NaN would break the sort's ordering.
bool unusable(const pdf::Word& w) {
  return blank(w.text) || !std::isfinite(w.x0) || !std::isfinite(w.y0) || !std::isfinite(w.x1) ||
         !std::isfinite(w.y1);
}

// Some text layers put the tabs that indent a line into its first word ("\t\t(iv)"), which would
// hide the label from the segmenter.
void trim_spaces(std::string& s) {
  auto space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t a = 0, b = s.size();
  while (a < b && space(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && space(static_cast<unsigned char>(s[b - 1]))) --b;
  if (a > 0 || b < s.size()) s = s.substr(a, b - a);
}

// "(f )": some papers set a space inside a label's brackets, and the text layer then
// reports "(f" and ")" as two words. Glued back, the label reads as one.
bool open_label(const std::string& s) {
  if (s.size() < 2 || s.size() > 6 || s[0] != '(') return false;
  return std::all_of(s.begin() + 1, s.end(), [](unsigned char c) { return std::islower(c) || std::isdigit(c); });
}

// "( a)": the same with the space after the opening bracket.
bool closed_label(const std::string& s) {
  if (s.size() < 2 || s.size() > 6 || s.back() != ')') return false;
  return std::all_of(s.begin(), s.end() - 1, [](unsigned char c) { return std::islower(c) || std::isdigit(c); });
}

void join_split_labels(Line& line) {
  for (std::size_t i = 0; i + 1 < line.words.size(); ++i) {
    pdf::Word& w = line.words[i];
    const pdf::Word& next = line.words[i + 1];
    if (w.text == "(" && closed_label(next.text) && next.x0 - w.x1 < 6.0) {
      w.text += next.text;
      w.x1 = next.x1;
      line.words.erase(line.words.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    } else if (open_label(w.text) && next.text == ")" && next.x0 - w.x1 < 6.0) {
      w.text += ")";
      w.x1 = next.x1;
      line.words.erase(line.words.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    }
  }
}

// A word with spaces or tabs inside ("19\t  A": a question number tabbed to its matrix) is
// several words to a reader. The pieces share the box in proportion to their bytes, which is
// close enough for what the segmenter asks of them (which comes first, and where a line starts).
void split_inner_spaces(std::vector<pdf::Word>& words) {
  auto space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::vector<pdf::Word> out;
  out.reserve(words.size());
  for (auto& w : words) {
    if (std::none_of(w.text.begin(), w.text.end(), [&](unsigned char c) { return space(c); })) {
      out.push_back(std::move(w));
      continue;
    }
    const double per_byte = (w.x1 - w.x0) / static_cast<double>(w.text.size());
    std::size_t i = 0;
    while (i < w.text.size()) {
      while (i < w.text.size() && space(static_cast<unsigned char>(w.text[i]))) ++i;
      std::size_t j = i;
      while (j < w.text.size() && !space(static_cast<unsigned char>(w.text[j]))) ++j;
      if (j > i) {
        pdf::Word piece = w;
        piece.text = w.text.substr(i, j - i);
        piece.x0 = w.x0 + per_byte * static_cast<double>(i);
        piece.x1 = w.x0 + per_byte * static_cast<double>(j);
        out.push_back(std::move(piece));
      }
      i = j;
    }
  }
  words = std::move(out);
}

}  // namespace

std::vector<Line> build_lines(int page_number, std::vector<pdf::Word> words) {
  std::erase_if(words, unusable);
  for (auto& w : words) trim_spaces(w.text);
  split_inner_spaces(words);
  for (auto& w : words) {
    if (w.x1 < w.x0) std::swap(w.x0, w.x1);
    if (w.y1 < w.y0) std::swap(w.y0, w.y1);
  }
  std::sort(words.begin(), words.end(), [](const pdf::Word& a, const pdf::Word& b) {
    if (centre_y(a) != centre_y(b)) return centre_y(a) < centre_y(b);
    return a.x0 < b.x0;
  });

  std::vector<Line> lines;
  for (auto& w : words) {
    bool joined = false;
    if (!lines.empty()) {
      Line& last = lines.back();
      // Compare with the line's first word rather than its growing box, so a tall glyph cannot
      // make a line swallow the next one.
      const pdf::Word& anchor = last.words.front();
      const double wc = centre_y(w), ac = centre_y(anchor);
      if (wc >= anchor.y0 && wc <= anchor.y1 && ac >= w.y0 && ac <= w.y1) {
        last.words.push_back(std::move(w));
        joined = true;
      }
    }
    if (!joined) {
      Line line;
      line.page_number = page_number;
      line.words.push_back(std::move(w));
      lines.push_back(std::move(line));
    }
  }
  for (auto& line : lines) {
    std::stable_sort(line.words.begin(), line.words.end(),
                     [](const pdf::Word& a, const pdf::Word& b) { return a.x0 < b.x0; });
    join_split_labels(line);
    line.update_box();
  }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.y0 < b.y0; });
  return lines;
}

}  // namespace examq::extract
