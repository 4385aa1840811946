// GET /api/batches and GET /api/batches/{id}: batches (sql/0010's processing_job_batch_status)
// read as the caller, so row-level security and the view's grants decide who sees which
// (admins today). camelCase keys, like the rest of /api.

#include "http/api.h"

#include <tao/json/from_string.hpp>

#include <regex>
#include <set>

namespace examq::http {

using beast_http::status;

namespace {

// One batch as the API shows it, from a row `s` of processing_job_batch_status; the estimate is
// computed here, after the paging, for the rows shown only.
#define EXAMQ_BATCH_JSON                                                                                         \
  "jsonb_build_object('id', s.batch_id, 'label', s.label, 'createdBy', s.created_by, 'createdAt', s.created_at," \
  " 'settledAt', s.settled_at, 'state', s.state, 'total', s.total, 'pending', s.pending, 'processing',"          \
  " s.processing, 'completed', s.completed, 'failed', s.failed, 'cancelled', s.cancelled,"                       \
  " 'progressPercentage', s.progress_percentage, 'estimatedSecondsRemaining', CASE WHEN s.settled_at IS NULL"    \
  " THEN processing_job_batch_estimated_seconds(s.batch_id) ELSE 0 END)"

// Newest first; the cursor is the last row's (created_at in microseconds, id), as /api/jobs.
const pg::Statement kListBatches{
    "examq_http_list_batches",
    "SELECT coalesce(jsonb_agg(" EXAMQ_BATCH_JSON " || jsonb_build_object('cursorMicros', s.cursor_micros)"
    " ORDER BY s.created_at DESC, s.batch_id DESC), '[]')::text FROM ("
    " SELECT batch_id, label, created_by, created_at, settled_at, state, total, pending, processing, completed, failed,"
    "  cancelled, progress_percentage, (extract(epoch FROM created_at) * 1000000)::bigint AS cursor_micros"
    " FROM processing_job_batch_status"
    " WHERE ($1::text IS NULL OR state = $1)"
    "  AND ($2::bigint IS NULL OR (created_at, batch_id) < (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::uuid))"
    " ORDER BY created_at DESC, batch_id DESC LIMIT $4::integer) s"};

// The batch and a summary of its jobs (oldest first, at most 1000).
const pg::Statement kGetBatch{
    "examq_http_get_batch",
    "SELECT (" EXAMQ_BATCH_JSON " || jsonb_build_object('jobs', ("
    " SELECT coalesce(jsonb_agg(jsonb_build_object('id', j.id, 'jobType', j.job_type, 'status', j.status,"
    "  'progressPercentage', j.progress_percentage, 'currentStep', j.current_step, 'examPaperId', j.exam_paper_id,"
    "  'title', e.title, 'errorMessage', j.error_message, 'retryCount', j.retry_count, 'createdAt', j.created_at,"
    "  'completedAt', j.completed_at) ORDER BY j.created_at, j.id), '[]')"
    " FROM (SELECT * FROM processing_jobs p WHERE p.batch_id = s.batch_id ORDER BY p.created_at, p.id LIMIT 1000) j"
    " LEFT JOIN exam_papers e ON e.id = j.exam_paper_id)))::text"
    " FROM processing_job_batch_status s WHERE s.batch_id = $1::uuid"};

bool is_uuid(const std::string& s) {
  static const std::regex re("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return std::regex_match(s, re);
}

Response raw_json_ok(const std::string& text) {
  Response res{status::ok, 11};
  res.set(beast_http::field::content_type, "application/json");
  res.set(beast_http::field::cache_control, "no-store");
  res.body() = text;
  return res;
}

}  // namespace

Response Api::list_batches(Request& r) {
  static const std::set<std::string> kStates{"pending", "running", "completed", "completed_with_errors"};
  std::optional<std::string> state, cursor_micros, cursor_id;
  if (const std::string* v = r.query_value("state"); v != nullptr && !v->empty()) {
    if (kStates.count(*v) == 0) throw ApiError(status::bad_request, "state must be one of pending, running, completed, completed_with_errors");
    state = *v;
  }
  int limit = 50;
  if (const std::string* v = r.query_value("limit"); v != nullptr) {
    static const std::regex digits(R"(^\d{1,3}$)");
    if (!std::regex_match(*v, digits) || std::stoi(*v) < 1 || std::stoi(*v) > 200)
      throw ApiError(status::bad_request, "limit must be an integer between 1 and 200");
    limit = std::stoi(*v);
  }
  if (const std::string* v = r.query_value("cursor"); v != nullptr && !v->empty()) {
    static const std::regex re(R"(^(\d{1,19})_([0-9a-fA-F-]{36})$)");
    std::smatch m;
    if (!std::regex_match(*v, m, re) || !is_uuid(m[2])) throw ApiError(status::bad_request, "cursor is not one this server returned");
    cursor_micros = m[1];
    cursor_id = m[2];
  }
  const std::string rows = db_.run(*r.caller, [&](pg::Connection& c) {
    return c.exec(kListBatches, state, cursor_micros, cursor_id, limit + 1).get<std::string>(0, 0);
  });
  tao::json::value list = tao::json::from_string(rows);
  auto& arr = list.get_array();
  tao::json::value next = tao::json::null;
  if (arr.size() > static_cast<std::size_t>(limit)) {
    arr.resize(static_cast<std::size_t>(limit));
    const auto& last = arr.back();
    next = std::to_string(last.at("cursorMicros").as<std::int64_t>()) + "_" + last.at("id").get_string();
  }
  for (auto& b : arr) b.get_object().erase("cursorMicros");
  return json_response(status::ok, tao::json::value{{"batches", std::move(list)}, {"nextCursor", std::move(next)}});
}

Response Api::get_batch(Request& r) {
  const std::string& id = r.params.at("id");
  if (!is_uuid(id)) throw ApiError(status::bad_request, "the batch id must be a UUID");
  auto row = db_.run(*r.caller, [&](pg::Connection& c) -> std::optional<std::string> {
    pg::Result res = c.exec(kGetBatch, id);
    if (res.rows() == 0) return std::nullopt;
    return res.get<std::string>(0, 0);
  });
  if (!row) throw ApiError(status::not_found, "batch " + id + " not found");
  return raw_json_ok(*row);
}

}  // namespace examq::http
