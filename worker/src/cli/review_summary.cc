#include "cli/review_summary.h"

#include "cli/output.h"

namespace examq::cli {

bool has_review(const tao::json::value* review) {
  if (review == nullptr || !review->is_object()) return false;
  const auto* needed = review->find("needed");
  return needed != nullptr && needed->is_boolean();
}

std::string review_cell(const tao::json::value* review) {
  if (!has_review(review)) return "-";
  return review->at("needed").get_boolean() ? "needed" : "ok";
}

std::string review_headline(const tao::json::value* review) {
  if (!has_review(review)) return "";
  if (review->at("needed").get_boolean()) {
    std::string reasons;
    if (const auto* list = review->find("reasons"); list != nullptr && list->is_array()) {
      for (const auto& r : list->get_array()) reasons += (reasons.empty() ? "" : ", ") + cell(r);
    }
    return "needed: " + reasons;
  }
  const std::string sum = cell(*review, "marks_sum");
  const auto* match = review->find("marks_match");
  if (match != nullptr && match->is_boolean() && match->get_boolean()) {
    return "not needed: the marks read add up to the paper's stated total (" + cell(*review, "stated_total") + ")";
  }
  return "not needed (the paper states no total; " + sum + (sum == "1" ? " mark" : " marks") + " read)";
}

std::vector<std::string> review_details(const tao::json::value* review) {
  std::vector<std::string> out;
  if (!has_review(review)) return out;
  if (const auto* details = review->find("details"); details != nullptr && details->is_array()) {
    for (const auto& d : details->get_array()) out.push_back(cell(d, "message"));
  }
  return out;
}

}  // namespace examq::cli
