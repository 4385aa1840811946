#pragma once
// What a paper says about its own marks, read from its words: the paper's total ("The total mark
// for this paper is 75", "TOTAL FOR PAPER = 110 MARKS", "Max score: 20 pts", a "Total" column in
// a cover's points table) and the per-question totals some boards print after each question
// ("(Total for Question 3 = 8 marks)"). paper_review.h compares them with the marks read.
//
// The rules are about wording, not about any board: a keyword (total, max, maximum, maxpoäng...)
// followed only by marks words (mark, points, pts, score, poäng...), paper words (paper, exam,
// examination, test, tentamen...), small connecting words (for, this, the, is, of, number, on) or
// ":" / "=", then a whole number that is not followed by "%" or another number. Anything else
// between the keyword and the number (question, section, part, volume, will be...) disqualifies
// the phrase, so "(Total for Question 3 = 8 marks)" and "TOTAL FOR SECTION A = 20 MARKS" are never
// taken for the paper's total. Without a paper word, the phrase must still be about marks: a
// marks word after the number or within the five tokens before the keyword ("The marks add up to
// a total of 70"), or a ":" / "=" ("[Total: 75]"); a bare "Total 12" is a table cell or code.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pdf/page_text.h"

namespace examq::extract {

struct StatedTotal {
  // How the total is worded. `paper` names the paper or exam ("The total mark for this paper is
  // 75", "Total marks for this Exam: 60"): trusted wherever it is printed. `plain` does not
  // ("Max score: 20 pts", "Maximum marks: 100", "Total: 40 points", "[Total: 75]", a points
  // table's "Total" column): per-question and per-section totals are worded like that too, so a
  // plain total counts only on the first page or a page without questions (a cover, the end).
  enum class Wording { paper, plain };
  int marks = 0;
  int page_number = 0;
  Wording wording = Wording::plain;
  std::string line;  // the printed line it was read from, for people checking it
};

// Every paper-total phrase of the paper, in reading order (page, then top to bottom).
std::vector<StatedTotal> find_stated_totals(const std::vector<pdf::PageText>& pages);

// The paper's total: the first `paper`-worded statement anywhere; failing that the first `plain`
// one on page 1 or on a page not in `question_pages` (pages holding question rows). Empty when the
// paper states none.
std::optional<StatedTotal> choose_stated_total(const std::vector<StatedTotal>& found,
                                               const std::set<int>& question_pages);

// "(Total for Question 3 = 8 marks)": the marks a paper says question `question` is worth.
struct QuestionTotal {
  int question = 0;  // the top-level question number (3)
  int marks = 0;
  int page_number = 0;
};

// Every per-question total of the paper, in reading order.
std::vector<QuestionTotal> find_question_totals(const std::vector<pdf::PageText>& pages);

}  // namespace examq::extract
