#include "extract/marks_parser.h"

#include <regex>
#include <string>

namespace examq::extract {

namespace {

// Trims and collapses runs of spaces, so the patterns below need only single spaces.
std::string squeeze(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The units papers print after a number of marks: "2 marks", "4 points", "3 pts", "(3 p)",
// "(1 pt.)", Swedish "poäng". One spelling for every pattern below.
const std::string kUnit = R"((?:marks?|points?|pts?|p|poäng)\.?)";

std::regex marks_regex(const std::string& pattern) {
  return std::regex(pattern, std::regex::icase | std::regex::optimize);
}

const std::regex& total_pattern() {
  static const std::regex re = marks_regex(
      R"(^[\[(] ?total(?: for question \d+(?: ?\([a-z]+\))*)? ?(?:[:=]|is)? ?(\d{1,3}) ?(?:)" + kUnit + R"()? ?[\])]$)");
  return re;
}

const std::regex& square_marks_pattern() {  // "[2]", "[2 marks]"
  static const std::regex re = marks_regex(R"(^\[ ?(\d{1,3}) ?(?:)" + kUnit + R"()? ?\]$)");
  return re;
}

const std::regex& round_marks_pattern() {  // "(2 marks)": round brackets need the unit
  static const std::regex re = marks_regex(R"(^\( ?(\d{1,3}) ?)" + kUnit + R"( ?\)$)");
  return re;
}

// OCR reads a lone "1" as "I" or "l"; with its unit after it, "(I pt.)" can only be one mark.
const std::regex& misread_one_pattern() {
  static const std::regex re = marks_regex(R"(^[\[(] ?[Il] ?)" + kUnit + R"( ?[\])]$)");
  return re;
}

// "12 marks", "[8 marks" (a scan lost the bracket): only right after a label.
const std::regex& unbracketed_marks_pattern() {
  static const std::regex re = marks_regex(R"(^[\[(]? ?(\d{1,3}) ?)" + kUnit + R"([\])]?$)");
  return re;
}

// "(2)", or "(2" whose closing bracket a scan lost (only ever taken alone or set apart at the
// right, below).
const std::regex& bare_round_pattern() {
  static const std::regex re(R"(^\( ?(\d{1,3}) ?\)?$)", std::regex::optimize);
  return re;
}

// Longer text is never a marks label; the limit also keeps std::regex, which recurses per
// character, away from hostile megabyte-long words.
constexpr std::size_t kLongestLabelText = 64;

bool opens_bracket(const std::string& word) { return !word.empty() && (word[0] == '[' || word[0] == '('); }

}  // namespace

std::optional<MarksLabel> parse_marks_label(std::string_view text) {
  if (text.size() > kLongestLabelText) return std::nullopt;
  const std::string s = squeeze(text);
  std::smatch m;
  if (std::regex_match(s, m, total_pattern())) return MarksLabel{MarksLabel::Kind::total, std::stoi(m[1].str())};
  if (std::regex_match(s, m, square_marks_pattern()) || std::regex_match(s, m, round_marks_pattern()))
    return MarksLabel{MarksLabel::Kind::marks, std::stoi(m[1].str())};
  if (std::regex_match(s, misread_one_pattern())) return MarksLabel{MarksLabel::Kind::marks, 1};
  return std::nullopt;
}

std::optional<TrailingMarks> parse_leading_marks(const std::vector<pdf::Word>& words, std::size_t from) {
  constexpr std::size_t kLongestLabel = 4;  // "[ 2 marks ]"
  std::string joined;
  for (std::size_t k = 1; k <= kLongestLabel && from + k <= words.size(); ++k) {
    if (!joined.empty()) joined += ' ';
    joined += words[from + k - 1].text;
    if (joined.size() > kLongestLabelText) return std::nullopt;
    if (auto label = parse_marks_label(joined); label && label->kind == MarksLabel::Kind::marks)
      return TrailingMarks{*label, k};
    // Right after a label, the unit says it even without brackets: "Question 1  12 marks".
    std::smatch m;
    const std::string squeezed = squeeze(joined);
    if (std::regex_match(squeezed, m, unbracketed_marks_pattern()))
      return TrailingMarks{{MarksLabel::Kind::marks, std::stoi(m[1].str())}, k};
  }
  return std::nullopt;
}

std::optional<TrailingMarks> parse_trailing_marks(const std::vector<pdf::Word>& words) {
  constexpr std::size_t kLongestLabel = 8;  // "(Total for Question 3 = 6 marks)" is 7 words
  const std::size_t n = words.size();
  for (std::size_t k = 1; k <= n && k <= kLongestLabel; ++k) {
    const std::size_t first = n - k;
    if (!opens_bracket(words[first].text)) continue;
    std::string joined;
    for (std::size_t i = first; i < n; ++i) {
      if (!joined.empty()) joined += ' ';
      joined += words[i].text;
    }
    if (joined.size() > kLongestLabelText) return std::nullopt;
    if (auto label = parse_marks_label(joined)) return TrailingMarks{*label, k};
    const std::string s = squeeze(joined);
    std::smatch m;
    if (std::regex_match(s, m, bare_round_pattern())) {
      const bool alone = first == 0;
      const bool set_apart = !alone && words[first].x0 - words[first - 1].x1 >= 20.0;
      if (alone || set_apart) return TrailingMarks{{MarksLabel::Kind::marks, std::stoi(m[1].str())}, k};
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace examq::extract
