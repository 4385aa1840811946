#pragma once
// Whether a paper's question numbers are complete: top-level questions run 1, 2, 3... and the
// parts of each question or part run (a), (b), (c)... / (i), (ii)... / (1), (2)... / .1, .2...
// without a hole, and no number is used twice. A hole ("4" read, then "6") almost always means a
// question the extractor did not see; a repeat means two questions read as one number, or a
// paper that restarts its numbering (sections), which a person should look at either way.
//
// Numbers are read in the canonical forms of question.h: a leading number ("3", "01"), then
// bracketed parts ("(a)", "(ii)", "(A)", "(4)") or dotted sub-numbers (".2"). Every row implies
// its ancestors' labels: "1(a)(i)" alone means question 1 and its part (a) exist. A group of
// sibling labels is checked only when all of them are of one kind (numbers, lower-case letters,
// upper-case letters, roman numerals); rows whose number is in no such form (an AI's "Bonus")
// are left out.

#include <optional>
#include <string>
#include <vector>

#include "extract/question.h"

namespace examq::extract {

struct NumberingCheck {
  std::vector<std::string> missing;   // numbers a clean sequence would have, e.g. "4", "3(c)", "01.3"
  std::vector<std::string> repeated;  // numbers read more than once, or read again after others
  // One sentence per finding, for people ("no 3(c) (read 3(b), then 3(d))"); long lists end with
  // "and N more".
  std::vector<std::string> gap_messages;
  std::vector<std::string> repeat_messages;
};

NumberingCheck check_numbering(const std::vector<Question>& questions);

// The top-level question number of a row ("3(a)(ii)" and "03.1" give 3); empty when the number
// does not start with digits.
std::optional<int> top_level_number(const std::string& number);

}  // namespace examq::extract
