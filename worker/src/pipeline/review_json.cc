#include "pipeline/review_json.h"

namespace examq::pipeline {
namespace {

template <typename T>
tao::json::value array_of(const std::vector<T>& items) {
  tao::json::value a = tao::json::empty_array;
  for (const auto& item : items) a.get_array().emplace_back(item);
  return a;
}

}  // namespace

tao::json::value review_to_json(const extract::PaperReview& r) {
  const tao::json::value null = tao::json::null;
  tao::json::value details = tao::json::empty_array;
  for (const auto& d : r.details) details.get_array().push_back({{"reason", d.reason}, {"message", d.message}});
  return {
      {"needed", r.needed},
      {"reasons", array_of(r.reasons)},
      {"stated_total", r.stated_total ? tao::json::value(*r.stated_total) : null},
      {"stated_total_page", r.stated_total ? tao::json::value(r.stated_total_page) : null},
      {"stated_total_text", r.stated_total ? tao::json::value(r.stated_total_text) : null},
      {"marks_sum", r.marks_sum},
      {"marks_match", r.marks_match},
      {"leaf_rows", r.leaf_rows},
      {"leaf_rows_without_marks", r.leaf_rows_without_marks},
      {"missing_numbers", array_of(r.missing_numbers)},
      {"repeated_numbers", array_of(r.repeated_numbers)},
      {"pages_without_questions", array_of(r.pages_without_questions)},
      {"low_ocr_confidence_pages", array_of(r.low_ocr_confidence_pages)},
      {"ocr_failed_pages", array_of(r.ocr_failed_pages)},
      {"details", std::move(details)},
  };
}

}  // namespace examq::pipeline
