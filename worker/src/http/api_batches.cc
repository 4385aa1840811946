// GET /api/batches and GET /api/batches/{id}: batches (sql/0010's processing_job_batch_status)
// read as the caller, so row-level security and the view's grants decide who sees which
// (admins today). camelCase keys, like the rest of /api.

#include "http/api.h"
#include "http/api_input.h"

#include <tao/json/from_string.hpp>

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

// The batch and a summary of its jobs (oldest first, at most 1000). The jobs of one upload share
// created_at (one transaction): they come by title then, so the order is the same every time.
const pg::Statement kGetBatch{
    "examq_http_get_batch",
    "SELECT (" EXAMQ_BATCH_JSON " || jsonb_build_object('jobs', ("
    " SELECT coalesce(jsonb_agg(jsonb_build_object('id', j.id, 'jobType', j.job_type, 'status', j.status,"
    "  'progressPercentage', j.progress_percentage, 'currentStep', j.current_step, 'examPaperId', j.exam_paper_id,"
    "  'title', j.title, 'errorMessage', j.error_message, 'retryCount', j.retry_count, 'createdAt', j.created_at,"
    "  'completedAt', j.completed_at) ORDER BY j.created_at, j.title, j.id), '[]')"
    " FROM (SELECT p.*, e.title FROM processing_jobs p LEFT JOIN exam_papers e ON e.id = p.exam_paper_id"
    "  WHERE p.batch_id = s.batch_id ORDER BY p.created_at, e.title, p.id LIMIT 1000) j)))::text"
    " FROM processing_job_batch_status s WHERE s.batch_id = $1::uuid"};

}  // namespace

Response Api::list_batches(Request& r) {
  static const std::set<std::string> kStates{"pending", "running", "completed", "completed_with_errors"};
  std::optional<std::string> state;
  if (const std::string* v = r.query_value("state"); v != nullptr && !v->empty()) {
    if (kStates.count(*v) == 0) throw ApiError(status::bad_request, "state must be one of pending, running, completed, completed_with_errors");
    state = *v;
  }
  const int limit = r.query_value("limit") != nullptr ? bounded_int(*r.query_value("limit"), "limit", 1, 200) : 50;
  const PageCursor cursor = page_cursor(r);
  const std::string rows = db_.run(*r.caller, [&](pg::Connection& c) {
    return c.exec(kListBatches, state, cursor.micros, cursor.id, limit + 1).get<std::string>(0, 0);
  });
  tao::json::value list = tao::json::from_string(rows);
  tao::json::value next = cut_page(list, limit, "cursorMicros");
  return json_response(status::ok, tao::json::value{{"batches", std::move(list)}, {"nextCursor", std::move(next)}});
}

Response Api::get_batch(Request& r) {
  const std::string& id = r.params.at("id");
  require_uuid(id, "the batch id");
  auto row = db_.run(*r.caller, [&](pg::Connection& c) -> std::optional<std::string> {
    pg::Result res = c.exec(kGetBatch, id);
    if (res.rows() == 0) return std::nullopt;
    return res.get<std::string>(0, 0);
  });
  if (!row) throw ApiError(status::not_found, "batch " + id + " not found");
  return raw_json(status::ok, *row);
}

}  // namespace examq::http
