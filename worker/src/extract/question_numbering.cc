#include "extract/question_numbering.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <regex>

namespace examq::extract {

namespace {

// No label is longer; the limit also keeps std::regex, which recurses per character, away from
// hostile megabyte-long words.
constexpr std::size_t kLongestLabelWord = 24;

bool single_digit(const std::string& s) { return s.size() == 1 && std::isdigit(static_cast<unsigned char>(s[0])); }

bool all_digits(std::string_view s, std::size_t min_len, std::size_t max_len) {
  if (s.size() < min_len || s.size() > max_len) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// A part label without brackets is plausible if it is one letter or a roman numeral.
bool plausible_part(const std::string& label) { return label.size() == 1 || roman_value(label) > 0; }

// Splits "(a)(ii)" into {"a", "ii"}; empty when the word is not only bracketed lower-case labels.
std::vector<std::string> bracketed_labels(std::string_view w) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < w.size()) {
    if (w[i] != '(') return {};
    std::size_t j = i + 1;
    while (j < w.size() && std::islower(static_cast<unsigned char>(w[j]))) ++j;
    if (j == i + 1 || j - i - 1 > 5 || j >= w.size() || w[j] != ')') return {};
    std::string label(w.substr(i + 1, j - i - 1));
    if (!plausible_part(label)) return {};
    out.push_back(std::move(label));
    i = j + 1;
  }
  return out;
}

// "a)" or "ii)": one closing-bracket label; also "a." or "ii." (Melbourne's sub-parts).
std::optional<std::string> closing_label(std::string_view w) {
  if (w.size() < 2 || w.size() > 6 || (w.back() != ')' && w.back() != '.')) return std::nullopt;
  std::string label(w.substr(0, w.size() - 1));
  for (char c : label)
    if (!std::islower(static_cast<unsigned char>(c))) return std::nullopt;
  if (!plausible_part(label)) return std::nullopt;
  return label;
}

const std::regex& prefixed_word() {  // "Q1", "Q1.", "Q.1", "Q1:", "Q2.1" (question 2, part 1)
  static const std::regex re(R"(^Q\.?(\d{1,3})(?:\.(\d{1,2}))?[.:)]?$)", std::regex::optimize);
  return re;
}
// The words papers put before a question's number, in English and in the Scandinavian and German
// papers universities publish: "Question 1", "Problem 2", "Task 3", "Exercise 4", "Uppgift 5".
const std::regex& prefix_only() {
  static const std::regex re(
      R"(^(Q|Q\.|Qn\.?|Ques\.?|Question|QUESTION|Problem|PROBLEM|Task|TASK|Exercise|EXERCISE|Assignment|Uppgift|UPPGIFT|Opgave|Aufgabe)$)",
      std::regex::optimize);
  return re;
}
// The same words after a qualifier: "Basic question 1", "Advanced problem 2", "Bonus task".
const std::regex& qualified_prefix() {
  static const std::regex re(R"(^(question|problem|task|exercise)$)", std::regex::optimize);
  return re;
}
const std::regex& number_after_prefix() {  // "1", "1.", "1:", "1.2" (question 1, part 2)
  static const std::regex re(R"(^(\d{1,3})(?:\.(\d{1,2}))?[.:)]?$)", std::regex::optimize);
  return re;
}

bool capitalised_word(const std::string& w) {
  if (w.size() < 3 || w.size() > 12 || !std::isupper(static_cast<unsigned char>(w[0]))) return false;
  return std::all_of(w.begin() + 1, w.end(), [](unsigned char c) { return std::islower(c); });
}
const std::regex& bare_word() {  // "1", "1.", "1)", "1(a)", "1.(a)(i)"
  static const std::regex re(R"(^(\d{1,3})([.)])?((?:\([a-z]{1,5}\))*)$)", std::regex::optimize);
  return re;
}
const std::regex& bracketed_number_word() {  // "(1)": Melbourne's question numbers
  static const std::regex re(R"(^\((\d{1,2})\)$)", std::regex::optimize);
  return re;
}
// "1.1.", "2.3.": question 1 part 1, question 2 part 3. The closing dot is required: "1.5 kg of
// water" is a quantity.
const std::regex& dotted_bare_word() {
  static const std::regex re(R"(^(\d{1,3})\.(\d{1,2})\.$)", std::regex::optimize);
  return re;
}
const std::regex& merged_boxed_word() {  // "01", "01.2"
  static const std::regex re(R"(^(\d)(\d)(?:\.(\d{1,2}))?$)", std::regex::optimize);
  return re;
}

LabelToken question_token(int value, NumberStyle style, bool punctuated, const pdf::Word& first, std::size_t first_word,
                          std::size_t end_word) {
  LabelToken t;
  t.kind = LabelToken::Kind::question;
  t.value = value;
  t.style = style;
  t.punctuated = punctuated;
  t.x0 = first.x0;
  t.first_word = first_word;
  t.end_word = end_word;
  return t;
}

LabelToken part_token(std::string label, const pdf::Word& w, std::size_t index) {
  LabelToken t;
  t.kind = LabelToken::Kind::part;
  t.label = std::move(label);
  t.x0 = w.x0;
  t.first_word = index;
  t.end_word = index + 1;
  return t;
}

// Recognises a question number at words[0..]; on success appends it (and any parts glued to it,
// as in "1(a)") to `out` and returns the index of the first word after it.
std::size_t parse_question(const std::vector<pdf::Word>& words, bool boxed_paper, std::vector<LabelToken>& out) {
  const std::size_t n = words.size();
  const std::string& w0 = words[0].text;
  std::smatch m;
  if (w0.size() > kLongestLabelWord || (n >= 2 && words[1].text.size() > kLongestLabelWord)) return 0;

  // Boxed digits drawn as separate words: "0" "1" ["." "2"], "0" "1" [".2"], or with the dot glued
  // to the second digit, "0" "1." ["2"] (how Poppler splits the boxes when a font's dot sits close).
  const std::string& w1 = n >= 2 ? words[1].text : w0;
  const bool dot_glued = w1.size() == 2 && w1[1] == '.';
  if (n >= 2 && single_digit(w0) && (single_digit(w1) || (dot_glued && std::isdigit(static_cast<unsigned char>(w1[0])))) &&
      (w0 == "0" || boxed_paper) && words[1].x0 - words[0].x1 < 12.0) {
    const int value = (w0[0] - '0') * 10 + (w1[0] - '0');
    if (value == 0) return 0;
    LabelToken t = question_token(value, NumberStyle::boxed, true, words[0], 0, 2);
    if (dot_glued) {
      if (n >= 3 && all_digits(words[2].text, 1, 2)) {
        t.numeric_part = std::stoi(words[2].text);
        t.end_word = 3;
      }
    } else if (n >= 4 && words[2].text == "." && all_digits(words[3].text, 1, 2)) {
      t.numeric_part = std::stoi(words[3].text);
      t.end_word = 4;
    } else if (n >= 3 && words[2].text.size() >= 2 && words[2].text[0] == '.' &&
               all_digits(std::string_view(words[2].text).substr(1), 1, 2)) {
      t.numeric_part = std::stoi(words[2].text.substr(1));
      t.end_word = 3;
    }
    out.push_back(t);
    return t.end_word;
  }
  // Boxed digits merged into one word by the text layer: "01", "01.2" (or "12" in a boxed paper).
  if (std::regex_match(w0, m, merged_boxed_word()) && (w0[0] == '0' || boxed_paper)) {
    const int value = std::stoi(m[1].str() + m[2].str());
    if (value == 0) return 0;
    LabelToken t = question_token(value, NumberStyle::boxed, true, words[0], 0, 1);
    if (m[3].matched) t.numeric_part = std::stoi(m[3].str());
    out.push_back(t);
    return 1;
  }
  auto prefixed = [&](std::size_t end_word) {
    LabelToken t = question_token(std::stoi(m[1].str()), NumberStyle::prefixed, true, words[0], 0, end_word);
    if (m[2].matched) t.numeric_part = std::stoi(m[2].str());
    out.push_back(t);
    return end_word;
  };
  if (std::regex_match(w0, m, prefixed_word())) return prefixed(1);
  if (n >= 2 && std::regex_match(w0, prefix_only()) && std::regex_match(words[1].text, m, number_after_prefix()))
    return prefixed(2);
  if (n >= 3 && capitalised_word(w0) && std::regex_match(words[1].text, qualified_prefix()) &&
      std::regex_match(words[2].text, m, number_after_prefix()))
    return prefixed(3);
  if (std::regex_match(w0, m, bracketed_number_word()) && m[1].str()[0] != '0') {
    LabelToken t = question_token(std::stoi(m[1].str()), NumberStyle::bare, true, words[0], 0, 1);
    t.bracketed = true;
    out.push_back(t);
    return 1;
  }
  if (std::regex_match(w0, m, dotted_bare_word()) && w0[0] != '0') {
    LabelToken t = question_token(std::stoi(m[1].str()), NumberStyle::bare, true, words[0], 0, 1);
    t.numeric_part = std::stoi(m[2].str());
    out.push_back(t);
    return 1;
  }
  if (std::regex_match(w0, m, bare_word())) {
    const int value = std::stoi(m[1].str());
    if (value == 0) return 0;
    const std::string glued = m[3].str();
    std::vector<std::string> parts;
    if (!glued.empty()) {
      parts = bracketed_labels(glued);
      if (parts.empty()) return 0;
    }
    out.push_back(question_token(value, NumberStyle::bare, m[2].matched || !parts.empty(), words[0], 0, 1));
    for (auto& p : parts) out.push_back(part_token(std::move(p), words[0], 0));
    return 1;
  }
  return 0;
}

}  // namespace

LineLabels parse_line_labels(const std::vector<pdf::Word>& words, bool boxed_paper) {
  LineLabels result;
  if (words.empty()) return result;
  std::size_t i = parse_question(words, boxed_paper, result.tokens);
  if (!result.tokens.empty()) {
    result.gap_after_question =
        i < words.size() ? words[i].x0 - words[i - 1].x1 : std::numeric_limits<double>::infinity();
  }
  for (; i < words.size(); ++i) {
    const std::string& w = words[i].text;
    if (w.size() > kLongestLabelWord) break;
    auto labels = bracketed_labels(w);
    if (!labels.empty()) {
      for (auto& l : labels) result.tokens.push_back(part_token(std::move(l), words[i], i));
      continue;
    }
    if (auto l = closing_label(w)) {
      result.tokens.push_back(part_token(std::move(*l), words[i], i));
      continue;
    }
    break;
  }
  return result;
}

int roman_value(std::string_view s) {
  if (s.empty() || s.size() > 7) return 0;  // "xxxviii"
  int total = 0, prev = 0;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    int v = 0;
    switch (*it) {
      case 'i': v = 1; break;
      case 'v': v = 5; break;
      case 'x': v = 10; break;
      default: return 0;
    }
    if (v < prev) total -= v;
    else total += v;
    prev = std::max(prev, v);
  }
  // Only the canonical spelling counts, so "iiii" or "vx" are not numerals.
  if (total < 1 || total > 39 || to_roman(total) != s) return 0;
  return total;
}

std::string to_roman(int value) {
  static const char* const ones[] = {"", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"};
  if (value < 1 || value > 39) return "";
  return std::string(static_cast<std::size_t>(value / 10), 'x') + ones[value % 10];
}

}  // namespace examq::extract
