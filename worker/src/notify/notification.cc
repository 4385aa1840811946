#include "notify/notification.h"

#include "handlers/handler.h"

#include <algorithm>

namespace examq::notify {
namespace {

using handlers::JobError;

std::string payload_text(const tao::json::value& payload, const std::string& key) {
  const auto* v = payload.find(key);
  if (v == nullptr || !v->is_string() || v->get_string().empty()) {
    throw JobError("notify: invalid payload: " + key + " must be a non-empty string", true);
  }
  return v->get_string();
}

// "https://h/papers/week%201.pdf?sig=x" -> "week%201.pdf": what the submitter called the file.
std::string file_name_of(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The jobs of a job (one row) or a batch (each row), with their papers. Read-only: the worker
// role may read these tables (sql/0012).
constexpr const char* kSubjectSql = R"sql(
SELECT j.id, j.job_type, j.status, j.exam_paper_id, coalesce(p.title, '') AS title,
       coalesce(p.file_url, '') AS file_url,
       (SELECT count(*) FROM questions AS q WHERE q.exam_paper_id = j.exam_paper_id)::integer AS questions,
       CASE WHEN jsonb_typeof(j.result -> 'review' -> 'needed') = 'boolean'
            THEN (j.result -> 'review' ->> 'needed')::boolean END AS review_needed,
       coalesce(j.error_message, '') AS error_message
  FROM processing_jobs AS j
  LEFT JOIN exam_papers AS p ON p.id = j.exam_paper_id
 WHERE CASE WHEN $1 = 'job' THEN j.id = $2::uuid ELSE j.batch_id = $2::uuid END
 ORDER BY j.created_at, p.title NULLS LAST, j.id
)sql";

}  // namespace

int Notification::count(const std::string& status) const {
  return static_cast<int>(std::count_if(papers.begin(), papers.end(), [&](const PaperLine& p) { return p.status == status; }));
}

Notification parse_notification(const handlers::Job& job) {
  Notification n;
  n.notify_job_id = job.id;
  n.event = payload_text(job.payload, "event");
  if (n.event != "job" && n.event != "batch") throw JobError("notify: invalid payload: event must be job or batch", true);
  n.subject_id = payload_text(job.payload, n.event + "_id");
  n.outcome = payload_text(job.payload, "outcome");
  n.channel = payload_text(job.payload, "channel");
  if (n.channel != "email" && n.channel != "webhook") {
    throw JobError("notify: invalid payload: channel must be email or webhook", true);
  }
  n.to = payload_text(job.payload, "to");
  return n;
}

void load_subject(pg::Connection& conn, Notification& n) {
  if (n.event == "batch") {
    pg::Result b = conn.exec("SELECT coalesce(label, '') FROM processing_job_batches WHERE id = $1::uuid", n.subject_id);
    if (b.rows() == 0) throw JobError("notify: batch " + n.subject_id + " no longer exists", true);
    n.batch_label = b.get<std::string>(0, 0);
  }
  pg::Result r = conn.exec(kSubjectSql, n.event, n.subject_id);
  if (r.rows() == 0 && n.event == "job") throw JobError("notify: job " + n.subject_id + " no longer exists", true);
  for (int i = 0; i < r.rows(); ++i) {
    PaperLine p;
    p.job_id = r.get<std::string>(i, "id");
    p.job_type = r.get<std::string>(i, "job_type");
    p.status = r.get<std::string>(i, "status");
    p.paper_id = r.get<std::optional<std::string>>(i, "exam_paper_id");
    p.title = r.get<std::string>(i, "title");
    p.file_name = file_name_of(r.get<std::string>(i, "file_url"));
    p.question_count = r.get<int>(i, "questions");
    p.review_needed = r.get<std::optional<bool>>(i, "review_needed");
    p.error_message = r.get<std::string>(i, "error_message");
    n.papers.push_back(std::move(p));
  }
}

}  // namespace examq::notify
