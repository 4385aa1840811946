#pragma once
// The `review` object of a process-exam-paper job's result, from extract::PaperReview. Its shape
// is documented in docs/review.md and read back by `examq jobs`, `show` and `questions`:
// {"needed", "reasons": [code...], "stated_total" (number or null), "stated_total_page" and
//  "stated_total_text" (null without a stated total), "marks_sum", "marks_match", "leaf_rows",
//  "leaf_rows_without_marks", "missing_numbers", "repeated_numbers", "pages_without_questions",
//  "low_ocr_confidence_pages", "ocr_failed_pages", "details": [{"reason", "message"}...]}

#include "extract/paper_review.h"

#include <tao/json/value.hpp>

namespace examq::pipeline {

tao::json::value review_to_json(const extract::PaperReview& review);

}  // namespace examq::pipeline
