#include "extract/ocr_labels.h"

#include <cctype>
#include <regex>
#include <string>

namespace examq::extract {
namespace {

// No label word is longer; also keeps std::regex away from long hostile words.
constexpr std::size_t kLongestLabelWord = 12;
// Lines searched after a question's label for its next part label: a part's wording, a figure's
// labels or a table may stand between them.
constexpr std::size_t kPartLookahead = 40;

char as_digit(char c) {
  switch (c) {
    case 'l': case 'I': case '|': return '1';
    case 'O': case 'o': return '0';
    case 'S': case 's': return '5';
    default: return c;
  }
}

// "Ql." / "Q1O" / "Qs." / "l." / "I0)" -> digits; "" when the word is not a misread number. S for
// 5 only after a Q: a bare "s." may be the end of a word.
std::string repaired_number(const std::string& word) {
  static const std::regex prefixed(R"(^(Q\.?)([0-9lI|OoSs]{1,3})([.:)]?)$)", std::regex::optimize);
  // A lone "l)" is more likely the roman "i)" of a sub-part: a bare number needs a full stop, or
  // a real digit beside the misread one ("l0)").
  static const std::regex bare(R"(^([0-9lI|]{1,3})([.)])$)", std::regex::optimize);
  std::smatch m;
  std::string digits, before, after;
  if (std::regex_match(word, m, prefixed)) {
    before = m[1];
    digits = m[2];
    after = m[3];
  } else if (std::regex_match(word, m, bare)) {
    digits = m[1];
    after = m[2];
    const bool has_digit = digits.find_first_of("0123456789") != std::string::npos;
    if (after == ")" && !has_digit) return "";
  } else {
    return "";
  }
  std::string fixed;
  for (char c : digits) fixed += as_digit(c);
  for (char c : fixed)
    if (!std::isdigit(static_cast<unsigned char>(c))) return "";
  if (fixed == digits) return "";  // nothing to repair
  return before + fixed + after;
}

// Strips what is not a digit or '.' off the end: "1°" -> "1", "3." -> "3.".
std::string trim_junk(std::string s) {
  while (!s.empty() && !std::isdigit(static_cast<unsigned char>(s.back())) && s.back() != '.' && s.back() != '|' &&
         s.back() != 'l' && s.back() != 'I') {
    s.pop_back();
  }
  return s;
}

bool digits_and_dots(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  return true;
}

// A boxed label's first word with its zeros read as letters put back: "O1" -> "01", "O" -> "0".
// Only words of digits and O/o that start with a zero-like character: "On" and "Of" are words.
std::string zeros_restored(const std::string& word) {
  if (word.empty() || word.size() > 2 || word.find_first_not_of("0123456789Oo") != std::string::npos) return word;
  if (word[0] != '0' && word[0] != 'O' && word[0] != 'o') return word;
  std::string out = word;
  for (char& c : out)
    if (c == 'O' || c == 'o') c = '0';
  return out;
}

// Joins the boxed-number words at the start of `line` into one "01.2"-style word.
void join_boxed(Line& line) {
  auto& w = line.words;
  if (w.empty()) return;
  std::string first = zeros_restored(w[0].text);
  // A whole label read as one word with a stray full stop after it: "01.3." -> "01.3".
  static const std::regex dotted_part(R"(^\d\d\.\d{1,2}\.$)", std::regex::optimize);
  if (std::regex_match(first, dotted_part)) first.pop_back();
  // A label read as one word, repaired: "O1" -> "01", "01.3." -> "01.3".
  auto restore_first = [&] {
    static const std::regex boxed_label(R"(^0\d(\.\d{1,2})?$)", std::regex::optimize);
    if (first != w[0].text && std::regex_match(first, boxed_label)) w[0].text = first;
  };
  std::string joined;
  std::size_t used = 0;
  for (; used < w.size() && used < 4; ++used) {
    std::string piece = used == 0 ? first : trim_junk(w[used].text);
    // A box's 1 is often read as l or |.
    if (used > 0 && piece.find_first_not_of("0123456789lI|.") == std::string::npos) {
      for (char& c : piece) c = as_digit(c);
    }
    if (!digits_and_dots(piece) || piece.size() > 4) break;
    std::string candidate = joined + piece;
    if (candidate.size() > 5) break;
    joined = candidate;
  }
  if (used < 2) return restore_first();
  while (!joined.empty() && joined.back() == '.') joined.pop_back();
  static const std::regex boxed(R"(^\d\d(\.\d{1,2})?$)", std::regex::optimize);
  if (!std::regex_match(joined, boxed)) return restore_first();
  const bool starts_with_zero = first == "0";
  const bool has_part = joined.find('.') != std::string::npos;
  if (!starts_with_zero && !has_part) return restore_first();
  pdf::Word merged = w[0];
  merged.text = joined;
  merged.x1 = w[used - 1].x1;
  merged.y0 = std::min(merged.y0, w[used - 1].y0);
  merged.y1 = std::max(merged.y1, w[used - 1].y1);
  w.erase(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(used));
  w.insert(w.begin(), merged);
  line.update_box();
}

// "(l)" "(1i)" "ll)" "(if)" "(iti)" -> "(i)" "(ii)" "ii)" "(ii)" "(iii)"; "" when not a misread
// roman label.
std::string repaired_roman(const std::string& word) {
  static const std::regex label(R"(^(\(?)([il1I|vVftj]{1,4})\)$)", std::regex::optimize);
  std::smatch m;
  if (!std::regex_match(word, m, label)) return "";
  const std::string body = m[2];
  // "(1)" and "(11)" may be numbered parts; a misread roman numeral has a letter-like stroke.
  if (body.find_first_not_of("1") == std::string::npos) return "";
  // f, t and j are i's only beside a real i: "(f)" and "(t)" are letters of their own.
  if (body.find_first_of("ftj") != std::string::npos && body.find('i') == std::string::npos) return "";
  std::string roman;
  for (char c : std::string(m[2])) roman += (c == 'v' || c == 'V') ? 'v' : 'i';
  static const std::regex canonical(R"(^(i{1,3}|iv|v|vi{1,3})$)", std::regex::optimize);
  if (!std::regex_match(roman, canonical) || roman == std::string(m[2])) return "";
  return std::string(m[1]) + roman + ")";
}

// A letter's look-alike digit, for part labels read as numbers; 0 for none.
char digit_like(char letter) {
  switch (letter) {
    case 'b': return '6';
    case 'g': case 'q': return '9';
    case 'o': return '0';
    case 'l': return '1';
    case 's': return '5';
    case 'z': return '2';
    default: return 0;
  }
}

// "(6)" after (a) -> "(b)", "(9)" after (f) -> "(g)", "C)" after b) -> "c)": a part letter read as
// its look-alike digit or as its capital, only where the letters' sequence expects that very
// letter; "" otherwise.
std::string repaired_part_letter(const std::string& word, char last_letter) {
  static const std::regex label(R"(^(\(?)([0-9A-Z])\)$)", std::regex::optimize);
  std::smatch m;
  if (last_letter < 'a' || last_letter >= 'z' || !std::regex_match(word, m, label)) return "";
  const char expected = static_cast<char>(last_letter + 1);
  const char read = std::string(m[2])[0];
  if (digit_like(expected) != read && std::toupper(static_cast<unsigned char>(expected)) != read) return "";
  return std::string(m[1]) + expected + ")";
}

// The letter of a part label word: "(a)" / "a)" -> 'a'; 0 otherwise.
char part_letter(const std::string& word) {
  static const std::regex label(R"(^\(?([a-z])\)$)", std::regex::optimize);
  std::smatch m;
  if (!std::regex_match(word, m, label)) return 0;
  return std::string(m[1])[0];
}

// "(1 mark}" / "[2}" / "{3]" / "[2|" -> "(1 mark)" / "[2]" / "[3]" / "[2]": a marks label whose
// brackets OCR read as different ones.
void repair_marks_brackets(Line& line) {
  static const std::regex marks(R"(^([\[({])\d{1,3}( (marks?|points?|pts?))?([\])}|])$)",
                                std::regex::optimize | std::regex::icase);
  auto& w = line.words;
  for (std::size_t count = 1; count <= 2 && count <= w.size(); ++count) {
    const std::size_t first = w.size() - count;
    std::string joined;
    for (std::size_t i = first; i < w.size(); ++i) {
      if (w[i].text.size() > kLongestLabelWord) return;
      joined += (joined.empty() ? "" : " ") + w[i].text;
    }
    std::smatch m;
    if (!std::regex_match(joined, m, marks)) continue;
    const char open = std::string(m[1])[0] == '(' ? '(' : '[';
    w[first].text[0] = open;
    w.back().text.back() = open == '(' ? ')' : ']';
    return;
  }
}

// Drops a speck read as punctuation ("|", "'", ",") just left of a label: "| b)" -> "b)". Only
// before a word shaped like a label, so wording keeps its punctuation.
void drop_junk_before_label(Line& line) {
  auto& w = line.words;
  if (w.size() < 2 || w[0].text.size() > 2) return;
  if (w[0].text.find_first_not_of("|!'`,.:;~_-") != std::string::npos) return;
  static const std::regex label(R"(^(\([0-9a-z]{1,4}\)|[0-9a-z]{1,4}[).]|Q\.?[0-9]{1,3}[.:)]?|[0-9]{1,3})$)",
                                std::regex::optimize);
  if (w[1].text.size() > kLongestLabelWord || !std::regex_match(w[1].text, label)) return;
  w.erase(w.begin());
  line.update_box();
}

// "Q.9 ) [3 marks] Explain ..." then "(b) ...": Tesseract's layout analysis dropped the "(a" of
// the first part and kept its ")" (measured on a rasterised Melbourne paper, in both of its
// readings). A word of brackets only, right after a question's label, is that question's part (a)
// when the next part label the paper prints is (b); otherwise it is left alone.
void restore_lost_first_parts(std::vector<Line>& lines) {
  static const std::regex question(R"(^(Q\.?)?[0-9]{1,3}[.:)]?$)", std::regex::optimize);
  static const std::regex brackets(R"(^[(\[{]?[)\]}]\.?$|^[(\[{]$)", std::regex::optimize);
  static const std::regex part(R"(^(\(?)([a-z])\)$)", std::regex::optimize);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto& w = lines[i].words;
    if (w.size() < 3 || !std::regex_match(w[1].text, brackets)) continue;
    if (!std::regex_match(w[0].text, question) && repaired_number(w[0].text).empty()) continue;
    for (std::size_t j = i + 1; j < lines.size() && j <= i + kPartLookahead; ++j) {
      if (lines[j].words.empty()) continue;
      const std::string& first = lines[j].words[0].text;
      if (std::regex_match(first, question)) break;  // the next question came first
      std::smatch m;
      if (!std::regex_match(first, m, part)) continue;
      if (std::string(m[2]) == "b") w[1].text = std::string(m[1]) + "a)";
      break;
    }
  }
}

}  // namespace

void repair_ocr_labels(std::vector<Line>& lines) {
  restore_lost_first_parts(lines);
  char last_letter = 0;
  for (Line& line : lines) {
    if (line.words.empty()) continue;
    drop_junk_before_label(line);
    join_boxed(line);
    repair_marks_brackets(line);
    // Label words: the first, the one after "Question"/"Q", and the part labels after a number.
    for (std::size_t i = 0; i < line.words.size() && i < 4; ++i) {
      std::string& text = line.words[i].text;
      if (text.size() > kLongestLabelWord) break;
      if (i == 0) {
        if (std::string fixed = repaired_number(text); !fixed.empty()) text = fixed;
      } else if (i == 1 && (line.words[0].text == "Question" || line.words[0].text == "Q")) {
        if (std::string fixed = repaired_number("Q" + text); !fixed.empty()) text = fixed.substr(1);
      }
      if (std::string fixed = repaired_roman(text); !fixed.empty()) text = fixed;
      // A bracketed digit alone on its line is marks ("(6)" at Edexcel's right margin), not a
      // part letter read as a digit.
      const bool lone_digit = line.words.size() == 1 && text.size() >= 2 &&
                              std::isdigit(static_cast<unsigned char>(text[text.size() - 2])) != 0;
      if (std::string fixed = repaired_part_letter(text, last_letter); !fixed.empty() && !lone_digit) text = fixed;
      // (i), (v), (x) are sub-parts unless they continue the letters ((h) then (i)).
      if (char letter = part_letter(text)) {
        const bool roman = letter == 'i' || letter == 'v' || letter == 'x';
        if (!roman || letter == last_letter + 1) last_letter = letter;
      }
    }
  }
}

}  // namespace examq::extract
