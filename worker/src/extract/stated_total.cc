#include "extract/stated_total.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string_view>

namespace examq::extract {
namespace {

// The vocabulary of total phrases, in folded form (lower case, accents dropped: see fold), in
// English and Swedish as the papers print them.
const std::set<std::string_view> kKeywords = {"total", "totalt", "max", "maximum", "maximal", "maxpoang", "totalpoang"};
const std::set<std::string_view> kMarksWords = {"mark",  "marks",  "point", "points", "pts",    "pt",
                                                "p",     "score",  "scores", "poang", "credit", "credits"};
const std::set<std::string_view> kPaperWords = {"paper", "exam", "examination", "test", "tentamen", "tentan", "assessment"};
const std::set<std::string_view> kLinkWords = {"for",   "this",   "the",       "is",       "of",  "number", "on", "in",
                                               "whole", "entire", "available", "possible", "are", "pa",     "hela"};
const std::set<std::string_view> kSeparators = {":", "="};
const std::set<std::string_view> kOpeners = {"[", "(", "-", "\xe2\x80\x93"};  // en dash
const std::set<std::string_view> kQuestionWords = {"question", "q", "qn", "fraga", "uppgift", "problem", "task"};

constexpr int kMaxTotal = 2000;        // no paper is worth more; larger numbers are years, codes
constexpr std::size_t kMaxGap = 8;     // tokens allowed between the keyword and the number
constexpr std::size_t kLookBack = 5;     // tokens before the keyword that may hold its marks word
constexpr std::size_t kMaxLineChars = 120;

struct Token {
  std::string text;       // lower case
  std::size_t word = 0;   // index of the word it came from, in the line
};

struct TextLine {
  std::vector<const pdf::Word*> words;  // left to right
  std::vector<Token> tokens;
  double top = 0, bottom = 0;
};

bool word_byte(unsigned char c) { return std::isalnum(c) != 0 || c >= 0x80; }

// The letter a Latin-1 accented letter (UTF-8 0xC3 xx) folds to, or 0 for other characters.
char fold_latin1(unsigned char second) {
  const unsigned char c = second & 0xDF;  // upper and lower case alike
  if (c >= 0x80 && c <= 0x85) return 'a';
  if (c >= 0x88 && c <= 0x8B) return 'e';
  if (c >= 0x8C && c <= 0x8F) return 'i';
  if ((c >= 0x92 && c <= 0x96) || c == 0x98) return 'o';
  if (c >= 0x99 && c <= 0x9C) return 'u';
  return 0;
}

// Words split into runs of letters/digits and single punctuation marks ("[Total:" gives "[",
// "total", ":"), folded so that spellings compare: ASCII lower case, Latin-1 accented letters to
// their base letter, combining accents and spacing diaereses/rings dropped. Poppler gives "poäng"
// precomposed in some papers and as "poa" + U+0308 + "ng" in others. Other non-ASCII bytes are
// kept as letters.
std::vector<Token> tokenize(const std::vector<const pdf::Word*>& words) {
  std::vector<Token> out;
  for (std::size_t w = 0; w < words.size(); ++w) {
    const std::string& text = words[w]->text;
    std::string run;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      const unsigned char next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
      if (c == 0xCC || (c == 0xCD && next <= 0xAF) || (c == 0xC2 && next == 0xA8) || (c == 0xCB && next == 0x9A)) {
        ++i;  // a combining accent (U+0300..U+036F), a spacing diaeresis or ring
        continue;
      }
      if (c == 0xC3 && fold_latin1(next) != 0) {
        run += fold_latin1(next);
        ++i;
        continue;
      }
      if (word_byte(c)) {
        run += static_cast<char>(std::tolower(c));
        continue;
      }
      if (!run.empty()) out.push_back({std::move(run), w}), run.clear();
      if (!std::isspace(c)) out.push_back({std::string(1, static_cast<char>(c)), w});
    }
    if (!run.empty()) out.push_back({std::move(run), w});
  }
  return out;
}

// The page's words grouped into printed lines: words whose vertical centres lie within half a
// word height of the line's first word, left to right. Upright words of rotated margin notes
// (much taller than wide) are left out: they would cut through the lines they cross.
std::vector<TextLine> page_lines(const pdf::PageText& page) {
  std::vector<const pdf::Word*> words;
  for (const auto& w : page.words) {
    const double width = w.x1 - w.x0, height = w.y1 - w.y0;
    if (w.text.empty() || height <= 0) continue;
    if (w.text.size() >= 2 && height > 2 * width) continue;
    words.push_back(&w);
  }
  auto centre = [](const pdf::Word* w) { return (w->y0 + w->y1) / 2; };
  std::stable_sort(words.begin(), words.end(), [&](auto* a, auto* b) { return centre(a) < centre(b); });
  std::vector<TextLine> lines;
  double line_centre = 0, line_height = 0;
  for (const auto* w : words) {
    const double h = w->y1 - w->y0;
    if (lines.empty() || std::abs(centre(w) - line_centre) > 0.5 * std::min(line_height, h)) {
      lines.push_back({});
      line_centre = centre(w);
      line_height = h;
      lines.back().top = w->y0;
      lines.back().bottom = w->y1;
    }
    auto& line = lines.back();
    line.words.push_back(w);
    line.top = std::min(line.top, w->y0);
    line.bottom = std::max(line.bottom, w->y1);
  }
  for (auto& line : lines) {
    std::stable_sort(line.words.begin(), line.words.end(), [](auto* a, auto* b) { return a->x0 < b->x0; });
    line.tokens = tokenize(line.words);
  }
  return lines;
}

std::optional<int> whole_number(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stoi(std::string(s));
}

std::string line_text(const TextLine& line) {
  std::string s;
  for (const auto* w : line.words) s += (s.empty() ? "" : " ") + w->text;
  if (s.size() > kMaxLineChars) s = s.substr(0, kMaxLineChars) + "…";
  return s;
}

// Whether the number at tokens[i] stands alone: not a decimal ("7.5"), a percentage, a range or
// the first of a row of numbers ("Total 0 5 10").
bool number_ends_phrase(const std::vector<Token>& t, std::size_t i) {
  if (i + 1 >= t.size()) return true;
  const Token& next = t[i + 1];
  if (next.text == "%" || whole_number(next.text)) return false;
  if ((next.text == "." || next.text == ",") && i + 2 < t.size() && t[i + 2].word == t[i].word &&
      whole_number(t[i + 2].text)) {
    return false;
  }
  return next.text != "+" && next.text != "-" && next.text != "*" && next.text != "/";
}

// A total phrase starting at the keyword tokens[k]; see the header for the rule.
std::optional<StatedTotal> total_phrase_at(const std::vector<Token>& t, std::size_t k) {
  bool paper = false, marks_word = false, separator = false;
  std::size_t i = k + 1;
  for (; i < t.size() && i - k <= kMaxGap; ++i) {
    const std::string& s = t[i].text;
    if (whole_number(s)) break;
    if (kPaperWords.contains(s)) paper = true;
    else if (kMarksWords.contains(s)) marks_word = true;
    else if (kSeparators.contains(s)) separator = true;
    else if (!kLinkWords.contains(s) && !kOpeners.contains(s)) return std::nullopt;
  }
  if (i >= t.size() || i - k > kMaxGap) return std::nullopt;
  const int value = *whole_number(t[i].text);
  if (value < 1 || value > kMaxTotal || !number_ends_phrase(t, i)) return std::nullopt;
  if (i + 1 < t.size() && kMarksWords.contains(t[i + 1].text)) marks_word = true;
  // "The marks add up to a total of 70": the marks word comes first.
  for (std::size_t b = k; b > 0 && k - b < kLookBack; --b) marks_word = marks_word || kMarksWords.contains(t[b - 1].text);
  // A bare "Total 12" is a table cell or code, not a statement about marks.
  if (!paper && !marks_word && !separator) return std::nullopt;
  StatedTotal total;
  total.marks = value;
  total.wording = paper ? StatedTotal::Wording::paper : StatedTotal::Wording::plain;
  return total;
}

bool is_total_word(const pdf::Word& w) {
  std::string s;
  for (unsigned char c : w.text) {
    if (c != ':') s += static_cast<char>(std::tolower(c));
  }
  return s == "total" || s == "totalt";
}

// A points table ("Problem: 1 2 ... Total" over "Points: 2 2 ... 40", LaTeX's exam class prints
// one on covers): the number right under a "Total" heading, in a row labelled with a marks word.
std::optional<StatedTotal> table_total(const std::vector<TextLine>& lines, std::size_t l) {
  if (l + 1 >= lines.size()) return std::nullopt;
  const TextLine& head = lines[l];
  const TextLine& row = lines[l + 1];
  const double height = head.bottom - head.top;
  if (row.top - head.bottom > 2.5 * height || row.tokens.empty() || !kMarksWords.contains(row.tokens.front().text)) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < head.words.size(); ++i) {
    const pdf::Word& total = *head.words[i];
    if (!is_total_word(total) || i + 1 != head.words.size()) continue;  // the heading ends its row
    for (const auto* w : row.words) {
      const double centre = (w->x0 + w->x1) / 2;
      auto value = whole_number(w->text);
      if (value && *value >= 1 && *value <= kMaxTotal && centre >= total.x0 - 20 && centre <= total.x1 + 20) {
        StatedTotal found;
        found.marks = *value;
        found.wording = StatedTotal::Wording::plain;
        found.line = line_text(head) + " / " + line_text(row);
        return found;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<StatedTotal> find_stated_totals(const std::vector<pdf::PageText>& pages) {
  std::vector<StatedTotal> found;
  for (const auto& page : pages) {
    const auto lines = page_lines(page);
    for (std::size_t l = 0; l < lines.size(); ++l) {
      const auto& tokens = lines[l].tokens;
      bool matched = false;
      for (std::size_t k = 0; k < tokens.size() && !matched; ++k) {
        if (!kKeywords.contains(tokens[k].text)) continue;
        if (auto total = total_phrase_at(tokens, k)) {
          total->page_number = page.page_number;
          total->line = line_text(lines[l]);
          found.push_back(std::move(*total));
          matched = true;
        }
      }
      if (matched) continue;
      if (auto total = table_total(lines, l)) {
        total->page_number = page.page_number;
        found.push_back(std::move(*total));
      }
    }
  }
  return found;
}

std::optional<StatedTotal> choose_stated_total(const std::vector<StatedTotal>& found,
                                               const std::set<int>& question_pages) {
  for (const auto& t : found) {
    if (t.wording == StatedTotal::Wording::paper) return t;
  }
  for (const auto& t : found) {
    if (t.page_number == 1 || !question_pages.contains(t.page_number)) return t;
  }
  return std::nullopt;
}

std::vector<QuestionTotal> find_question_totals(const std::vector<pdf::PageText>& pages) {
  std::vector<QuestionTotal> found;
  for (const auto& page : pages) {
    for (const auto& line : page_lines(page)) {
      const auto& t = line.tokens;
      // total for question N [=|:|is] M [marks]
      for (std::size_t k = 0; k + 4 < t.size(); ++k) {
        if (t[k].text != "total" || t[k + 1].text != "for" || !kQuestionWords.contains(t[k + 2].text)) continue;
        auto question = whole_number(t[k + 3].text);
        std::size_t i = k + 4;
        while (i < t.size() && (kSeparators.contains(t[i].text) || t[i].text == "is")) ++i;
        if (!question || i >= t.size()) continue;
        auto marks = whole_number(t[i].text);
        if (!marks || *marks < 1 || *marks > kMaxTotal || !number_ends_phrase(t, i)) continue;
        found.push_back({*question, *marks, page.page_number});
        break;
      }
    }
  }
  return found;
}

}  // namespace examq::extract
