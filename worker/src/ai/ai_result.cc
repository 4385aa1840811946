#include "ai/ai_result.h"

namespace examq::ai {

namespace {

tao::json::value dropped_rows_json(const std::vector<DroppedRow>& rows) {
  tao::json::value out = tao::json::empty_array;
  for (const DroppedRow& d : rows) {
    tao::json::value row = {{"number", d.number}, {"reason", d.reason}};
    row["page"] = d.page ? tao::json::value(*d.page) : tao::json::value(tao::json::null);
    out.get_array().push_back(std::move(row));
  }
  return out;
}

}  // namespace

tao::json::value to_json(const AiUsage& u) {
  return tao::json::value{
      {"provider", u.provider},
      {"model", u.model},
      {"pages", u.pages},
      {"batches", u.batches},
      {"cached_batches", u.cached_batches},
      {"requests", u.requests},
      {"retries", u.retries},
      {"input_tokens", u.input_tokens},
      {"output_tokens", u.output_tokens},
      {"cache_write_tokens", u.cache_write_tokens},
      {"cache_read_tokens", u.cache_read_tokens},
      {"warmup_ms", u.warmup_ms},
      {"latency_ms", u.latency_ms},
      {"rows_repaired", u.rows_repaired},
      {"reasked_batches", u.reasked_batches},
      {"rows_dropped", u.rows_dropped},
      {"dropped_rows", dropped_rows_json(u.dropped_rows)},
      {"images_downscaled", u.images_downscaled},
      {"batches_split", u.batches_split},
  };
}

tao::json::value questions_to_json(const std::vector<AiQuestion>& questions) {
  tao::json::value out = tao::json::empty_array;
  for (const AiQuestion& q : questions) {
    tao::json::value ids = tao::json::empty_array;
    for (const std::string& id : q.topic_ids) ids.get_array().emplace_back(id);
    tao::json::value row = {
        {"question_number", q.question.number},
        {"parent_number", q.question.parent_number},
        {"text", q.question.text},
        {"page_number", q.question.page_number},
        {"source", q.question.source},
        {"topic_ids", std::move(ids)},
    };
    row["marks"] = q.question.marks ? tao::json::value(*q.question.marks) : tao::json::value(tao::json::null);
    out.get_array().push_back(std::move(row));
  }
  return out;
}

}  // namespace examq::ai
