#include "pipeline/questions_json.h"

namespace examq::pipeline {

tao::json::value questions_to_json(const std::vector<extract::Question>& questions) {
  tao::json::value array = tao::json::empty_array;
  for (const auto& q : questions) {
    tao::json::value row = {
        {"question_number", q.number},
        {"text", q.text},
        {"page_number", q.page_number},
        {"source", q.source.empty() ? std::string("text") : q.source},
    };
    row["parent_number"] = q.parent_number.empty() ? tao::json::value(tao::json::null) : tao::json::value(q.parent_number);
    row["marks"] = q.marks ? tao::json::value(*q.marks) : tao::json::value(tao::json::null);
    array.get_array().push_back(std::move(row));
  }
  return array;
}

}  // namespace examq::pipeline
