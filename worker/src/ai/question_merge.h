#pragma once
// Joins the answers of overlapping batches into one list of rows for the paper.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ai/ai_result.h"

namespace examq::ai {

// A question label split into its parts: "Q3 (a)(ii)" -> top "3", parts {"a", "ii"}.
struct QuestionLabel {
  std::string top;                 // "3", "01.2"; "" for a bare part such as "(c)"
  std::vector<std::string> parts;  // bracketed parts in order, case as printed
  bool parsed = true;              // false: not a label this understands; `top` holds it unchanged
  bool bare() const { return parsed && top.empty() && !parts.empty(); }
  std::string str() const;         // "3(a)(ii)"
};

// "Q3 (a)" = "Question 3(a)" = "3a" = "3 (a)" -> "3(a)"; "3aii" -> "3(a)(ii)"; "01.2" and
// "8(A)" unchanged; "(c)" and "c" -> bare {"c"}. A label it cannot read is kept whole (minus
// spaces) with parsed false.
QuestionLabel parse_label(std::string_view number);

// The full label of a bare part printed after `context` (the last full label before it):
// "(c)" after "5(b)" is "5(c)", "(c)(i)" after "7(b)(ii)" is "7(c)(i)", "(ii)" after "3(b)" is
// "3(b)(ii)", "(a)" after "5" is "5(a)". A part replaces the deepest part of its kind (letter,
// roman numeral, number) in the context, or is appended below it when the context has none.
QuestionLabel resolve_bare(const QuestionLabel& bare, const QuestionLabel& context);

// Token similarity of two texts, 0..1: the larger of the Jaccard index of their word sets and,
// when both have at least 4 words, the share of the shorter one's words found in the longer (so
// a reading cut off at the end of a page still matches the whole one) times 0.9.
double text_similarity(std::string_view a, std::string_view b);

// At or above this, two rows on the same page whose numbers disagree are one row read twice
// when one of the numbers was a bare part or both end in the same part.
inline constexpr double kSameRowSimilarity = 0.6;

// Paper order of two labels that are on the same page and not otherwise ordered: numerically
// by top ("2" < "10", "01.2" < "01.10"), then by part (letters, roman numerals and numbers by
// value). Negative, 0, positive.
int compare_labels(const QuestionLabel& a, const QuestionLabel& b);

// `batches` holds each batch's questions, in batch order (by first page); consecutive batches
// share a page, read by both. Rows are merged as follows:
//  - numbers are made canonical (parse_label); a bare part ("(c)") is resolved against its
//    parent_number when the model gave one, else against the last full label before it in the
//    same batch, else against the last row of the rows merged so far on an earlier page (what
//    the previous batches read before this batch's first page);
//  - a row is the same as a row kept from an earlier batch (rows of one answer are never merged
//    with each other) when their canonical numbers are equal and their pages at most one apart
//    (the nearest such row), or, on the same page, when one number was a bare part or both end
//    in the same part and text_similarity >= kSameRowSimilarity;
//  - of two readings one row is kept, with the longer text (the more complete reading), the
//    marks of that reading or the other's when it has none, the parent_number likewise (only
//    from a reading with the same number), the topic ids of both (first reading's first) and the
//    number as printed in full rather than resolved from a bare part (the earlier batch's when
//    both are);
//  - the result is in paper order: by page, then by the order the batches read the rows within
//    the page (a row only one batch saw goes after the row that batch read before it, or by
//    number among the page's rows when it was the first that batch read there).
// Positions are then set to 1..n in that order.
std::vector<AiQuestion> merge_batches(std::vector<std::vector<AiQuestion>> batches);

// The label of the last row before page `first_page` in `rows` (one batch's answer, in its
// order), or "" when none: the context sent to the batch that starts at that page.
std::string last_label_before(const std::vector<AiQuestion>& rows, int first_page);

}  // namespace examq::ai
