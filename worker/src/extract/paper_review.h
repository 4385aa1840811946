#pragma once
// A paper checked against itself once its questions are read, so that a job's outcome says
// whether the rows can be trusted without reading the paper: the total the paper states against
// the sum of the marks read, question numbers that skip or repeat, pages with wording but no
// question, pages OCR read poorly, and no questions at all. Any finding sets `needed`; none, with
// the marks adding up to the stated total, means the rows account for the whole paper.
//
// Works on any extractor's rows (text, OCR or AI) and on whatever words the job has; without
// words (an AI job on stored images) the stated total and the page checks are skipped.
// docs/review.md explains each reason to users; the codes are stable (stored in job results).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "extract/question.h"
#include "pdf/page_text.h"

namespace examq::extract {

// Reason codes, in the order they are reported.
namespace review_reason {
inline constexpr std::string_view no_questions = "no_questions";                 // nothing read at all
inline constexpr std::string_view no_marks_read = "no_marks_read";               // a total is stated, no marks read
inline constexpr std::string_view marks_total_mismatch = "marks_total_mismatch"; // marks read != stated total
inline constexpr std::string_view question_total_mismatch = "question_total_mismatch";  // != "(Total for Question n = m marks)"
inline constexpr std::string_view numbering_gap = "numbering_gap";               // a number skipped
inline constexpr std::string_view numbering_repeat = "numbering_repeat";         // a number read twice
inline constexpr std::string_view pages_without_questions = "pages_without_questions";
inline constexpr std::string_view low_ocr_confidence = "low_ocr_confidence";
inline constexpr std::string_view ocr_failed = "ocr_failed";                     // a page OCR could not read
// Set by the AI pipeline, not by review_paper: rows of the model's answer stayed invalid after
// repair and a re-ask, and were left out (result.ai.dropped_rows lists them).
inline constexpr std::string_view ai_rows_dropped = "ai_rows_dropped";
}  // namespace review_reason

// Tesseract's mean word confidence (0..100) under which an OCR page is reported. The OCR engine
// takes a reading under 60 for a poor one (it then tries the page turned, see ocr.md); clean
// scans read at 80 and more.
inline constexpr double kLowOcrConfidence = 60;

struct ReviewDetail {
  std::string reason;   // one of review_reason
  std::string message;  // one sentence for people: which numbers, which pages, which sums
};

struct PaperReview {
  bool needed = false;               // reasons is not empty
  std::vector<std::string> reasons;  // each code at most once, in review_reason's order
  std::optional<int> stated_total;   // the total the paper states, when it states one
  int stated_total_page = 0;         // where it is printed (0 when none)
  std::string stated_total_text;     // the printed line it was read from
  int marks_sum = 0;                 // marks of the leaf rows (see sum_of_marks)
  bool marks_match = false;          // stated_total is known and equals marks_sum
  int leaf_rows = 0;                 // rows no other row names as parent_number
  int leaf_rows_without_marks = 0;   // of those, rows with no marks and no marked ancestor
  std::vector<std::string> missing_numbers;   // numbering_gap: "4", "3(c)"
  std::vector<std::string> repeated_numbers;  // numbering_repeat
  std::vector<int> pages_without_questions;   // pages_without_questions (not checked when marks_match)
  std::vector<int> low_ocr_confidence_pages;  // low_ocr_confidence
  std::vector<int> ocr_failed_pages;          // ocr_failed
  std::vector<ReviewDetail> details;          // in reasons' order
};

// The marks the rows account for: each leaf's marks, except that a row whose descendants carry
// no marks at all counts its own (a parent printed "[3]" over unmarked parts (i) and (ii)). A row
// whose parent_number names no row is a root. Rows without marks count 0.
int sum_of_marks(const std::vector<Question>& questions);

// `pages` are the words the extractor read (any order, any subset: pages absent are not checked);
// `questions` the rows it returned, in paper order.
PaperReview review_paper(const std::vector<pdf::PageText>& pages, const std::vector<Question>& questions);

}  // namespace examq::extract
