#include "http/api.h"

#include "http/api_input.h"
#include "http/event_hub.h"
#include "http/multipart.h"
#include "http/web_assets.h"
#include "pdf/render_pool.h"
#include "pipeline/bytea.h"
#include "pg/array.h"
#include "util/log.h"

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <regex>
#include <set>

namespace examq::http {

using beast_http::status;
using beast_http::verb;

namespace {

// --- statements (fixed SQL; every value a parameter) -----------------------------------------
const pg::Statement kHealth{"examq_http_health", "SELECT 1"};
const pg::Statement kCreateJob{"examq_http_create_job",
                               "SELECT create_exam_paper_job($1::uuid, $2::text[], $3::uuid, $4::boolean, $5::integer)::text"};
const pg::Statement kProcessBackgroundJobs{"examq_http_process_background_jobs", "SELECT process_background_jobs() ->> 'jobId'"};
// Newest first; the cursor is the last row's (created_at in microseconds, id).
const pg::Statement kListJobs{
    "examq_http_list_jobs",
    "SELECT coalesce(jsonb_agg(j ORDER BY j.created_at DESC, j.id DESC), '[]')::text FROM ("
    " SELECT id, job_type, status, priority, exam_paper_id, progress_percentage, current_step, retry_count,"
    "  max_retries, attempts, error_message, cancel_requested, created_by, created_at, run_at, started_at,"
    "  completed_at, updated_at, batch_id, (extract(epoch FROM created_at) * 1000000)::bigint AS cursor_micros"
    " FROM processing_jobs"
    " WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR job_type = $2)"
    "  AND ($3::uuid IS NULL OR exam_paper_id = $3) AND ($4::uuid IS NULL OR created_by = $4)"
    "  AND ($5::timestamptz IS NULL OR created_at >= $5)"
    "  AND ($6::bigint IS NULL OR (created_at, id) < (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))"
    "  AND ($9::uuid IS NULL OR batch_id = $9)"
    " ORDER BY created_at DESC, id DESC LIMIT $8::integer) j"};
const pg::Statement kGetJob{"examq_http_get_job",
                            "SELECT (to_jsonb(j) - 'payload' - 'lease_duration')::text FROM processing_jobs j WHERE j.id = $1::uuid"};
const pg::Statement kCancel{"examq_http_cancel", "SELECT (to_jsonb(cancel_processing_job($1::uuid)) - 'payload' - 'lease_duration')::text"};
const pg::Statement kRetry{"examq_http_retry", "SELECT (to_jsonb(retry_processing_job($1::uuid)) - 'payload' - 'lease_duration')::text"};
const pg::Statement kStats{"examq_http_stats",
                           "SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.period, s.job_type NULLS FIRST), '[]')::text"
                           " FROM processing_job_stats s"};
const pg::Statement kHistory{"examq_http_history",
                             "SELECT processing_job_history(coalesce($1::timestamptz, now() - interval '24 hours'),"
                             " coalesce($2::timestamptz, now()), $3)::text"};
const pg::Statement kPaperExists{"examq_http_paper_exists", "SELECT 1 FROM exam_papers p WHERE p.id = $1::uuid"};
const pg::Statement kQuestions{
    "examq_http_questions",
    "SELECT coalesce(jsonb_agg(jsonb_build_object('question_number', q.question_number, 'parent_number',"
    " q.parent_number, 'position', q.position, 'text', q.text, 'marks', q.marks, 'page_number', q.page_number,"
    " 'source', q.source, 'topic_ids', to_jsonb(q.topic_ids), 'topics', coalesce((SELECT jsonb_agg(jsonb_build_object("
    "'id', t.id, 'code', t.code, 'title', t.title) ORDER BY u.n) FROM unnest(q.topic_ids) WITH ORDINALITY AS u(id, n)"
    " JOIN syllabus_topics t ON t.id = u.id), '[]')) ORDER BY q.position), '[]')::text"
    " FROM questions q WHERE q.exam_paper_id = $1::uuid"};
const pg::Statement kRetag{"examq_http_retag", "SELECT examq_retag_exam_paper($1::uuid, $2::uuid, $3::integer)::text"};
// The same path as `examq submit`: one batch per upload, each paper in it with its page count.
const pg::Statement kSubmit{"examq_http_submit",
                            "SELECT submit_exam_paper($1, $2, $3::bytea, $4::integer, $5::uuid, $6, $7::bytea, $8::uuid, $9::integer)::text"};
// Labelled BATCH_LABEL, else by its first file (cut by characters, under the label's 200).
const pg::Statement kBeginBatch{"examq_http_begin_batch",
                                "SELECT b::text, l FROM coalesce($1, left($2, 150) || CASE WHEN $3::integer > 1"
                                " THEN format(' and %s more', $3::integer - 1) ELSE '' END) AS l, examq_begin_batch(l) AS b"};
const pg::Statement kPage{"examq_http_page",
                          "SELECT p.jpeg, (extract(epoch FROM p.created_at) * 1000000)::bigint"
                          " FROM exam_paper_pages p WHERE p.exam_paper_id = $1::uuid AND p.page_number = $2::integer"};

// --- input checks (a bad request never reaches the database) ---------------------------------
std::optional<std::string> optional_uuid(const Request& r, const std::string& key) {
  const std::string* v = r.query_value(key);
  if (v == nullptr || v->empty()) return std::nullopt;
  return require_uuid(*v, key);
}

// An ISO 8601 date or time ("2026-12-05", "2026-12-05T10:00:00Z"): checked here so a typo is a
// 400 with a clear message rather than a database error.
std::optional<std::string> optional_time(const Request& r, const std::string& key) {
  static const std::regex iso(R"(^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$)");
  const std::string* v = r.query_value(key);
  if (v == nullptr || v->empty()) return std::nullopt;
  if (!std::regex_match(*v, iso)) throw ApiError(status::bad_request, key + " must be an ISO 8601 date or time (2026-12-05T10:00:00Z)");
  return *v;
}

// The optional job type filter.
std::optional<std::string> optional_type(const Request& r) {
  const std::string* v = r.query_value("type");
  if (v == nullptr || v->empty()) return std::nullopt;
  if (v->size() > 100) throw ApiError(status::bad_request, "type is too long");
  return *v;
}

tao::json::value parse_json_body(const Request& r) {
  if (r.raw.body().empty()) return tao::json::empty_object;
  try {
    return tao::json::from_string(r.raw.body());
  } catch (const std::exception&) {
    throw ApiError(status::bad_request, "the request body is not valid JSON");
  }
}

// The seed's priority: a number (-1000..1000) or "high" / "normal" / "low".
int parse_priority(const tao::json::value* v) {
  if (v == nullptr || v->is_null()) return 0;
  if (v->is_string()) {
    const std::string& s = v->get_string();
    if (s == "high") return 10;
    if (s == "normal") return 0;
    if (s == "low") return -10;
    throw ApiError(status::bad_request, "priority must be \"high\", \"normal\", \"low\" or an integer between -1000 and 1000");
  }
  if (v->is_integer()) {
    const std::int64_t p = v->is_signed() ? v->get_signed() : static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_unsigned(), 1u << 30));
    if (p >= -1000 && p <= 1000) return static_cast<int>(p);
  }
  throw ApiError(status::bad_request, "priority must be \"high\", \"normal\", \"low\" or an integer between -1000 and 1000");
}

// A client's file name, made safe to store and show: the last path component, no control
// characters, at most 255 bytes.
std::string clean_filename(const std::string& raw) {
  std::string name = raw.substr(raw.find_last_of("/\\") == std::string::npos ? 0 : raw.find_last_of("/\\") + 1);
  std::erase_if(name, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (name.size() > 255) name.resize(255);
  return name.empty() ? "upload.pdf" : name;
}

std::string stem_of(const std::string& filename) {
  const auto dot = filename.rfind('.');
  return dot == std::string::npos || dot == 0 ? filename : filename.substr(0, dot);
}

const Claims& caller_of(const Request& r) { return *r.caller; }

std::string csv_field(const tao::json::value& v) {
  std::string s;
  if (v.is_null()) return s;
  if (v.is_string()) {
    s = v.get_string();
  } else {
    s = tao::json::to_string(v);
  }
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Response json_response(status s, const tao::json::value& body) { return raw_json(s, tao::json::to_string(body)); }

namespace {

// The seed's Edge Functions answer JSON.stringify({success, ...}): keys in that order, compact.
// taoJSON objects are sorted maps, so the seed's bodies are written key by key.
std::string seed_json(std::initializer_list<std::pair<const char*, const tao::json::value*>> fields) {
  std::string out = "{";
  for (const auto& [key, value] : fields) {
    if (value == nullptr) continue;
    if (out.size() > 1) out += ',';
    out += tao::json::to_string(tao::json::value(key)) + ":" + tao::json::to_string(*value);
  }
  return out + "}";
}

}  // namespace

Response error_response(status s, const std::string& message) {
  const tao::json::value f = false, e = message;
  return raw_json(s, seed_json({{"success", &f}, {"error", &e}}));
}

Api::Api(CallerDb& db, EventHub& hub) : db_(db), hub_(hub) {
  auto bind = [this](Response (Api::*f)(Request&)) { return [this, f](Request& r) { return (this->*f)(r); }; };
  routes_ = {
      {verb::get, "/", Kind::plain, false, bind(&Api::page)},
      {verb::get, "/static/{name}", Kind::plain, false, bind(&Api::asset)},
      {verb::get, "/api/dev-login", Kind::plain, false, bind(&Api::dev_login_state)},
      {verb::post, "/api/dev-login", Kind::plain, false, bind(&Api::dev_login)},
      {verb::get, "/healthz", Kind::plain, false, bind(&Api::healthz)},
      {verb::post, "/functions/v1/create-exam-paper-job", Kind::upload, true, bind(&Api::create_exam_paper_job)},
      {verb::post, "/functions/v1/process-background-jobs", Kind::plain, true, bind(&Api::process_background_jobs)},
      {verb::get, "/api/jobs", Kind::plain, true, bind(&Api::list_jobs)},
      {verb::get, "/api/jobs/{id}", Kind::plain, true, bind(&Api::get_job)},
      {verb::post, "/api/jobs/{id}/cancel", Kind::plain, true, bind(&Api::cancel_job)},
      {verb::post, "/api/jobs/{id}/retry", Kind::plain, true, bind(&Api::retry_job)},
      {verb::get, "/api/stats", Kind::plain, true, bind(&Api::stats)},
      {verb::get, "/api/stats/history", Kind::plain, true, bind(&Api::history)},
      {verb::get, "/api/papers/{id}/questions", Kind::plain, true, bind(&Api::paper_questions)},
      {verb::get, "/api/papers/{id}/pages/{page}", Kind::plain, true, bind(&Api::paper_page)},
      {verb::post, "/api/papers", Kind::upload, true, bind(&Api::upload_papers)},
      {verb::post, "/api/papers/{id}/retag", Kind::plain, true, bind(&Api::retag_paper)},
      {verb::get, "/api/events", Kind::events, true, nullptr},
      // Batches (api_batches.cc).
      {verb::get, "/api/batches", Kind::plain, true, bind(&Api::list_batches)},
      {verb::get, "/api/batches/{id}", Kind::plain, true, bind(&Api::get_batch)},
  };
}

Api::Match Api::match(verb method, const std::string& path) const {
  Match out;
  auto split = [](std::string_view s) {
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t j = s.find('/', i);
      if (j == std::string_view::npos) j = s.size();
      parts.push_back(s.substr(i, j - i));
      i = j + 1;
    }
    return parts;
  };
  const auto got = split(path);
  for (const Route& route : routes_) {
    const auto want = split(route.pattern);
    if (want.size() != got.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < want.size() && ok; ++i) {
      if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
        if (got[i].empty()) ok = false;
        else params[std::string(want[i].substr(1, want[i].size() - 2))] = std::string(got[i]);
      } else {
        ok = want[i] == got[i];
      }
    }
    if (!ok) continue;
    if (route.method != method) {
      out.miss = status::method_not_allowed;
      continue;
    }
    out.route = &route;
    out.params = std::move(params);
    return out;
  }
  return out;
}

Response Api::healthz(Request&) {
  bool db_ok = false;
  try {
    auto conn = db_.pool().acquire();
    conn->exec(kHealth);
    db_ok = true;
  } catch (const pg::Error&) {
  }
  tao::json::value body{{"status", db_ok ? "ok" : "unavailable"},
                        {"database", db_ok ? "ok" : "unreachable"},
                        {"events", hub_.listening() ? "listening" : "reconnecting"},
                        {"event_streams", hub_.subscribers()}};
  if (connections_) body["connections"] = connections_();
  return json_response(db_ok ? status::ok : status::service_unavailable, body);
}

Response Api::create_exam_paper_job(Request& r) {
  const tao::json::value body = parse_json_body(r);
  if (!body.is_object()) throw ApiError(status::bad_request, "the request body must be a JSON object");
  const tao::json::value* paper = body.find("examPaperId");
  if (paper == nullptr || !paper->is_string()) throw ApiError(status::bad_request, "examPaperId is required");
  const std::string paper_id = require_uuid(paper->get_string(), "examPaperId");

  std::optional<std::string> images;
  if (const auto* v = body.find("base64Images"); v != nullptr && !v->is_null()) {
    if (!v->is_array()) throw ApiError(status::bad_request, "base64Images must be an array of strings");
    std::vector<std::string> list;
    for (const auto& e : v->get_array()) {
      if (!e.is_string()) throw ApiError(status::bad_request, "base64Images must be an array of strings");
      list.push_back(e.get_string());
    }
    images = pg::array_literal(list);
  }
  std::optional<std::string> syllabus;
  if (const auto* v = body.find("syllabusId"); v != nullptr && !v->is_null()) {
    if (!v->is_string()) throw ApiError(status::bad_request, "syllabusId must be a UUID");
    syllabus = require_uuid(v->get_string(), "syllabusId");
  }
  bool has_insert = false;
  if (const auto* v = body.find("hasInsert"); v != nullptr && !v->is_null()) {
    if (!v->is_boolean()) throw ApiError(status::bad_request, "hasInsert must be true or false");
    has_insert = v->get_boolean();
  }
  const int priority = parse_priority(body.find("priority"));

  const std::string answer = db_.run(caller_of(r), [&](pg::Connection& c) {
    return c.exec(kCreateJob, paper_id, images, syllabus, has_insert, priority).get<std::string>(0, 0);
  });
  // The function's answer, written as the seed's function wrote it (its keys, its order).
  const tao::json::value v = tao::json::from_string(answer);
  auto field = [&](const char* k) { return v.find(k); };
  if (v.at("success").get_boolean()) {
    return raw_json(status::ok, seed_json({{"success", field("success")}, {"jobId", field("jobId")},
                                           {"message", field("message")}, {"estimatedTime", field("estimatedTime")}}));
  }
  const std::string error = v.at("error").get_string();
  status s = status::bad_request;
  if (error.find("does not exist") != std::string::npos) s = status::not_found;
  else if (error.find("already has a job in progress") != std::string::npos) s = status::conflict;
  else if (error.find("the limit is") != std::string::npos) s = status::payload_too_large;
  return raw_json(s, seed_json({{"success", field("success")}, {"error", field("error")}, {"jobId", field("jobId")}}));
}

Response Api::process_background_jobs(Request& r) {
  // Workers claim by themselves; this only wakes them (they claim on any wake-up) and says
  // which job is next in line, without claiming it.
  std::optional<std::string> next = db_.run(caller_of(r), [&](pg::Connection& c) -> std::optional<std::string> {
    pg::Result res = c.exec(kProcessBackgroundJobs);
    if (res.is_null(0, 0)) return std::nullopt;
    return res.get<std::string>(0, 0);
  });
  const tao::json::value ok = true, job = next ? tao::json::value(*next) : tao::json::value(tao::json::null);
  return raw_json(status::ok, seed_json({{"success", &ok}, {"jobId", &job}}));
}

Response Api::list_jobs(Request& r) {
  static const std::set<std::string> kStatuses{"pending", "processing", "completed", "failed", "cancelled"};
  std::optional<std::string> st;
  if (const std::string* v = r.query_value("status"); v != nullptr && !v->empty()) {
    if (kStatuses.count(*v) == 0) throw ApiError(status::bad_request, "status must be one of pending, processing, completed, failed, cancelled");
    st = *v;
  }
  const auto type = optional_type(r);
  const auto paper = optional_uuid(r, "paper");
  const auto creator = optional_uuid(r, "creator");
  const auto since = optional_time(r, "since");
  const auto batch = optional_uuid(r, "batch");
  const int limit = r.query_value("limit") != nullptr ? bounded_int(*r.query_value("limit"), "limit", 1, 500) : 50;
  const PageCursor cursor = page_cursor(r);
  const std::string rows = db_.run(caller_of(r), [&](pg::Connection& c) {
    return c.exec(kListJobs, st, type, paper, creator, since, cursor.micros, cursor.id, limit + 1, batch).get<std::string>(0, 0);
  });
  tao::json::value list = tao::json::from_string(rows);
  tao::json::value next = cut_page(list, limit, "cursor_micros");
  return json_response(status::ok, tao::json::value{{"jobs", std::move(list)}, {"nextCursor", std::move(next)}});
}

Response Api::get_job(Request& r) {
  const std::string id = require_uuid(r.params.at("id"), "the job id");
  auto row = db_.run(caller_of(r), [&](pg::Connection& c) -> std::optional<std::string> {
    pg::Result res = c.exec(kGetJob, id);
    if (res.rows() == 0) return std::nullopt;
    return res.get<std::string>(0, 0);
  });
  if (!row) throw ApiError(status::not_found, "job " + id + " not found");
  return raw_json(status::ok, *row);
}

Response Api::cancel_job(Request& r) {
  const std::string id = require_uuid(r.params.at("id"), "the job id");
  const std::string row = db_.run(caller_of(r), [&](pg::Connection& c) { return c.exec(kCancel, id).get<std::string>(0, 0); });
  return json_response(status::ok, tao::json::value{{"success", true}, {"job", tao::json::from_string(row)}});
}

Response Api::retry_job(Request& r) {
  const std::string id = require_uuid(r.params.at("id"), "the job id");
  const std::string row = db_.run(caller_of(r), [&](pg::Connection& c) { return c.exec(kRetry, id).get<std::string>(0, 0); });
  return json_response(status::ok, tao::json::value{{"success", true}, {"job", tao::json::from_string(row)}});
}

// A retag-questions job for the paper (examq_retag_exam_paper, sql/0014): 202 with its id, the
// same id while that retag is still pending or running; 404 no such paper, 409 not retaggable
// now (no questions yet, being processed, another syllabus's retag in progress), 400 bad input
// or a syllabus without topics.
Response Api::retag_paper(Request& r) {
  const std::string id = require_uuid(r.params.at("id"), "the paper id");
  if (!caller_of(r).admin) throw ApiError(status::forbidden, "only admins may retag exam papers");
  const tao::json::value body = parse_json_body(r);
  if (!body.is_object()) throw ApiError(status::bad_request, "the request body must be a JSON object");
  const tao::json::value* syllabus = body.find("syllabusId");
  if (syllabus == nullptr || !syllabus->is_string()) throw ApiError(status::bad_request, "syllabusId is required");
  const std::string syllabus_id = require_uuid(syllabus->get_string(), "syllabusId");
  const int priority = parse_priority(body.find("priority"));
  const std::string job =
      db_.run(caller_of(r), [&](pg::Connection& c) { return c.exec(kRetag, id, syllabus_id, priority).get<std::string>(0, 0); });
  return json_response(status::accepted, tao::json::value{{"success", true}, {"jobId", job}});
}

Response Api::stats(Request& r) {
  const std::string rows = db_.run(caller_of(r), [&](pg::Connection& c) { return c.exec(kStats).get<std::string>(0, 0); });
  return json_response(status::ok, tao::json::value{{"stats", tao::json::from_string(rows)}});
}

Response Api::history(Request& r) {
  const auto since = optional_time(r, "since"), until = optional_time(r, "until");
  const auto type = optional_type(r);
  const std::string body = db_.run(caller_of(r), [&](pg::Connection& c) { return c.exec(kHistory, since, until, type).get<std::string>(0, 0); });
  return raw_json(status::ok, body);
}

Response Api::paper_questions(Request& r) {
  const std::string id = require_uuid(r.params.at("id"), "the paper id");
  bool csv = false;
  if (const std::string* f = r.query_value("format")) {
    if (*f != "csv" && *f != "json") throw ApiError(status::bad_request, "format must be json or csv");
    csv = *f == "csv";
  } else if (auto it = r.raw.find(beast_http::field::accept); it != r.raw.end()) {
    csv = std::string_view(it->value().data(), it->value().size()).find("text/csv") != std::string_view::npos;
  }
  auto rows = db_.run(caller_of(r), [&](pg::Connection& c) -> std::optional<std::string> {
    if (c.exec(kPaperExists, id).rows() == 0) return std::nullopt;
    return c.exec(kQuestions, id).get<std::string>(0, 0);
  });
  if (!rows) throw ApiError(status::not_found, "exam paper " + id + " not found");
  const tao::json::value questions = tao::json::from_string(*rows);
  if (!csv) return json_response(status::ok, tao::json::value{{"examPaperId", id}, {"questions", questions}});
  static const char* const kColumns[] = {"question_number", "parent_number", "position", "text",
                                         "marks", "page_number", "source", "topic_ids", "topic_codes"};
  std::string out;
  for (const char* col : kColumns) out += std::string(out.empty() ? "" : ",") + col;
  out += "\r\n";
  for (const auto& q : questions.get_array()) {
    bool first = true;
    for (const char* col : kColumns) {
      if (!first) out += ',';
      first = false;
      if (std::string_view(col) == "topic_codes") {
        // The topics' codes (their titles when they have none), in tag order, separated by ";".
        std::string codes;
        if (const tao::json::value* topics = q.find("topics"); topics != nullptr && topics->is_array()) {
          for (const auto& t : topics->get_array()) {
            const tao::json::value* code = t.find("code");
            const tao::json::value* name = code != nullptr && code->is_string() ? code : t.find("title");
            if (name == nullptr || !name->is_string()) continue;
            codes += (codes.empty() ? "" : ";") + name->get_string();
          }
        }
        out += csv_field(tao::json::value(codes));
        continue;
      }
      const tao::json::value* v = q.find(col);
      if (v != nullptr) out += csv_field(*v);
    }
    out += "\r\n";
  }
  Response res{status::ok, 11};
  res.set(beast_http::field::content_type, "text/csv; charset=utf-8");
  res.set(beast_http::field::content_disposition, "attachment; filename=\"questions-" + id + ".csv\"");
  res.set(beast_http::field::cache_control, "no-store");
  res.body() = std::move(out);
  return res;
}

Response Api::paper_page(Request& r) {
  const std::string id = require_uuid(r.params.at("id"), "the paper id");
  const int page = bounded_int(r.params.at("page"), "the page number", 1, 100000);
  auto row = db_.run(caller_of(r), [&](pg::Connection& c) -> std::optional<std::pair<std::string, std::int64_t>> {
    pg::Result res = c.exec(kPage, id, page);
    if (res.rows() == 0) return std::nullopt;
    return std::make_pair(res.get<std::string>(0, 0), res.get<std::int64_t>(0, 1));
  });
  if (!row) throw ApiError(status::not_found, "page " + std::to_string(page) + " of paper " + id + " not found");
  // A page is replaced (not edited) when the paper is processed again: its creation time names
  // the version.
  const std::string etag = "\"" + id + "-" + std::to_string(page) + "-" + std::to_string(row->second) + "\"";
  Response res{status::ok, 11};
  res.set(beast_http::field::etag, etag);
  // Private: the image is only for callers who may see the paper.
  res.set(beast_http::field::cache_control, "private, max-age=3600");
  if (auto it = r.raw.find(beast_http::field::if_none_match); it != r.raw.end() && std::string(it->value()) == etag) {
    res.result(status::not_modified);
    return res;
  }
  res.set(beast_http::field::content_type, "image/jpeg");
  res.body() = pipeline::from_bytea_hex(row->first);
  return res;
}

Response Api::upload_papers(Request& r) {
  // Everything is checked before the database is touched; then every paper, its files and its
  // job are created in one transaction: a bad file leaves nothing behind.
  std::vector<FormPart> parts;
  try {
    auto it = r.raw.find(beast_http::field::content_type);
    if (it == r.raw.end()) throw std::invalid_argument("the body must be multipart/form-data");
    const std::string boundary = multipart_boundary(std::string_view(it->value().data(), it->value().size()));
    parts = parse_multipart(r.raw.body(), boundary);
  } catch (const std::invalid_argument& e) {
    throw ApiError(status::bad_request, e.what());
  }
  struct Upload {
    std::string filename, bytes;
    int pages = 0;
  };
  std::vector<Upload> files;
  std::optional<Upload> insert;
  std::string title;
  std::optional<std::string> syllabus, batch_label;
  int priority = 0;
  for (FormPart& p : parts) {
    if (p.name == "file" || p.name == "files") {
      files.push_back({clean_filename(p.filename), std::move(p.body), 0});
    } else if (p.name == "insert") {
      if (insert) throw ApiError(status::bad_request, "at most one insert");
      insert = Upload{clean_filename(p.filename), std::move(p.body), 0};
    } else if (p.name == "title") {
      title = p.body;
      if (title.size() > 500) throw ApiError(status::bad_request, "title is longer than 500 characters");
    } else if (p.name == "batchLabel") {
      // At most 200 characters (the column's check), counted as UTF-8 code points.
      const auto chars = std::count_if(p.body.begin(), p.body.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
      if (chars > 200) throw ApiError(status::bad_request, "batchLabel is longer than 200 characters");
      if (!p.body.empty()) batch_label = p.body;
    } else if (p.name == "syllabusId") {
      if (!p.body.empty()) syllabus = require_uuid(p.body, "syllabusId");
    } else if (p.name == "priority") {
      const tao::json::value v = [&]() -> tao::json::value {
        if (p.body == "high" || p.body == "normal" || p.body == "low") return p.body;
        try {
          std::size_t used = 0;
          const long n = std::stol(p.body, &used);
          if (used == p.body.size()) return static_cast<std::int64_t>(n);
        } catch (const std::exception&) {
        }
        return p.body;
      }();
      priority = parse_priority(&v);
    } else {
      throw ApiError(status::bad_request, "unknown form field \"" + p.name + "\" (file, insert, title, syllabusId, priority, batchLabel)");
    }
  }
  if (files.empty()) throw ApiError(status::bad_request, "no file: send each PDF as a form field named file");
  // submit_exam_paper is for admins (it checks the claims itself); refusing others here too
  // spares the renderer work for a request the database would refuse anyway.
  if (!caller_of(r).admin) throw ApiError(status::forbidden, "only admins may upload exam papers");
  if (files.size() > 50) throw ApiError(status::bad_request, "at most 50 files per upload");
  if (!title.empty() && files.size() > 1) throw ApiError(status::bad_request, "title names one paper; leave it out when uploading several");

  // Each file must be a PDF the sandboxed renderer can open, as `examq submit` checks.
  pdf::RenderOptions options;
  options.read_metadata = false;
  options.max_processes = 1;
  auto check = [&](Upload& u) {
    try {
      u.pages = pdf::inspect_pdf(u.bytes, options).page_count;
    } catch (const pdf::PdfError& e) {
      throw ApiError(status::unprocessable_entity, u.filename + ": " + e.what());
    }
  };
  for (Upload& u : files) check(u);
  if (insert) check(*insert);

  // One upload is one batch (sql/0010), a single file a batch of one, created in the same
  // transaction as its papers: no worker sees a job before all are in.
  tao::json::value batch = tao::json::empty_object;
  tao::json::value papers = db_.run(caller_of(r), [&](pg::Connection& c) {
    pg::Result b = c.exec(kBeginBatch, batch_label, files.front().filename, static_cast<int>(files.size()));
    const std::string batch_id = b.get<std::string>(0, 0);
    batch = {{"id", batch_id}, {"label", b.get<std::string>(0, 1)}, {"jobIds", tao::json::empty_array}};
    tao::json::value out = tao::json::empty_array;
    for (const Upload& u : files) {
      const std::string answer =
          c.exec(kSubmit, title.empty() ? stem_of(u.filename) : title, u.filename, pipeline::to_bytea_hex(u.bytes), priority,
                 syllabus, insert ? pg::Param(insert->filename) : pg::Param(),
                 insert ? pg::Param(pipeline::to_bytea_hex(insert->bytes)) : pg::Param(), batch_id, u.pages > 0 ? pg::Param(std::to_string(u.pages)) : pg::Param())
              .get<std::string>(0, 0);
      tao::json::value v = tao::json::from_string(answer);
      v["file"] = u.filename;
      v["pages"] = u.pages;
      batch["jobIds"].push_back(v.at("jobId"));
      out.push_back(std::move(v));
    }
    return out;
  });
  util::log_event(spdlog::level::info, "http.batch_created",
                  {{"batch_id", batch.at("id").get_string()}, {"jobs", std::to_string(files.size())}});
  return json_response(status::created, tao::json::value{{"success", true}, {"papers", std::move(papers)}, {"batch", std::move(batch)}});
}

namespace {

Response asset_response(const Request& r, const WebAsset& a) {
  // The files change only with the binary: revalidate by ETag, never serve a stale page.
  const std::string etag = "\"" + std::to_string(std::hash<std::string_view>{}(a.body)) + "\"";
  Response res{status::ok, 11};
  res.set(beast_http::field::etag, etag);
  res.set(beast_http::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  // Everything the page loads comes from this server; images are blob: URLs of fetched pages.
  res.set("Content-Security-Policy",
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
          "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  res.set("Referrer-Policy", "no-referrer");
  if (auto it = r.raw.find(beast_http::field::if_none_match); it != r.raw.end() && std::string(it->value()) == etag) {
    res.result(status::not_modified);
    return res;
  }
  res.set(beast_http::field::content_type, std::string(a.content_type));
  res.body() = std::string(a.body);
  return res;
}

}  // namespace

Response Api::page(Request& r) {
  const WebAsset* a = find_web_asset("index.html");
  if (a == nullptr) throw ApiError(status::not_found, "this build has no web page");
  return asset_response(r, *a);
}

Response Api::asset(Request& r) {
  const std::string& name = r.params.at("name");
  const WebAsset* a = name == "index.html" ? nullptr : find_web_asset(name);
  if (a == nullptr) throw ApiError(status::not_found, "no such file");
  return asset_response(r, *a);
}

Response Api::dev_login_state(Request&) {
  if (dev_login_secret_.empty()) throw ApiError(status::not_found, "local admin sessions are off (examq serve --dev-login)");
  return json_response(status::ok, tao::json::value{{"enabled", true}});
}

Response Api::dev_login(Request&) {
  if (dev_login_secret_.empty()) throw ApiError(status::not_found, "local admin sessions are off (examq serve --dev-login)");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const tao::json::value claims{{"sub", "00000000-0000-0000-0000-00000000de71"}, {"role", "authenticated"},
                                {"aud", "authenticated"}, {"iat", now}, {"exp", now + 8 * 3600},
                                {"app_metadata", tao::json::value{{"role", "admin"}, {"provider", "examq-dev-login"}}}};
  util::log_event(spdlog::level::info, "serve.dev_login", {{"sub", "00000000-0000-0000-0000-00000000de71"}});
  return json_response(status::ok, tao::json::value{{"token", mint_jwt(claims, dev_login_secret_)}});
}

}  // namespace examq::http
