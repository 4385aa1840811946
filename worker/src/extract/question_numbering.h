#pragma once
// Recognises the labels printed at the start of a line: question numbers ("1", "1.", "Q1",
// "Question 1", boxed "0 1" and "0 1 . 2") and part labels ("(a)", "a)", "(ii)"). This is syntax
// only: whether a label is really a question here (left margin, sequence, the paper's numbering
// style) is the segmenter's decision, and so is whether "(i)" is the ninth letter or the first
// roman numeral.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pdf/page_text.h"

namespace examq::extract {

enum class NumberStyle {
  bare,      // "1", "1.", "1)", "1(a)"
  prefixed,  // "Q1", "Q1.", "Q.1", "Question 1", "Question 1:"
  boxed,     // AQA's digits in boxes: "0 1", "0 1 . 2", or merged "01", "01.2"
};

struct LabelToken {
  enum class Kind { question, part };
  Kind kind = Kind::part;

  // Kind::question
  int value = 0;                     // 1 for "0 1", "Q1", "1."
  NumberStyle style = NumberStyle::bare;
  bool punctuated = false;           // carries a mark that ordinary wording would not ("1.", "Q1",
                                     // "0 1", "1(a)"): a bare "2" may begin a sentence, these may not
  std::optional<int> numeric_part;   // 2 for "0 1 . 2"
  bool bracketed = false;            // "(1)": never an item of a numbered list ("1.")

  // Kind::part: the label without brackets, lower case: "a", "ii"
  std::string label;

  double x0 = 0;               // where the token starts on the page
  std::size_t first_word = 0;  // index of the word holding the token's start
  std::size_t end_word = 0;    // index of the first word after it (tokens in one word share it)
};

struct LineLabels {
  std::vector<LabelToken> tokens;  // in order: at most one question token, first, then parts
  double gap_after_question = 0;   // horizontal gap after the question token (points); large when
                                   // nothing follows
};

// Parses the labels at the start of `words` (one line, left to right). `boxed_paper` says the
// paper's questions are boxed, so two single digits "1 2" read as question 12; otherwise they read
// as question 1 followed by wording "2" (a leading "0" always means boxed).
LineLabels parse_line_labels(const std::vector<pdf::Word>& words, bool boxed_paper);

// Value of a lower-case roman numeral in canonical form ("iv" = 4, up to 39), or 0 when `s` is not
// one ("iiii", "vx", "c").
int roman_value(std::string_view s);

// Lower-case roman numeral for 1..39.
std::string to_roman(int value);

}  // namespace examq::extract
