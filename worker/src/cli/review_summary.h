#pragma once
// How the commands that show a processed paper (jobs, show, questions) word its review: the
// `review` object a process-exam-paper job stores in its result (pipeline/review_json.h,
// docs/review.md). A job without one (other job types, jobs not finished, jobs from before the
// review existed) shows nothing.

#include <tao/json/value.hpp>

#include <string>
#include <vector>

namespace examq::cli {

// Whether `review` is a review object at all (null, absent and other shapes are not).
bool has_review(const tao::json::value* review);

// A table cell: "needed", "ok", or "-" without a review.
std::string review_cell(const tao::json::value* review);

// One line for people, e.g. "needed: marks_total_mismatch, numbering_gap",
// "not needed: the marks read add up to the paper's stated total (75)",
// "not needed (the paper states no total; 28 marks read)". Empty without a review.
std::string review_headline(const tao::json::value* review);

// The review's detail messages, in order ("no question 4 (read 3, then 5)").
std::vector<std::string> review_details(const tao::json::value* review);

}  // namespace examq::cli
