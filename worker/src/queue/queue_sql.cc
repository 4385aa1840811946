#include "queue/queue_sql.h"

#include "pg/array.h"

namespace examq::queue::sql {
namespace {

// The claim sorts its own output: the function claims in priority order, but an UPDATE ...
// RETURNING does not promise to return rows in that order.
constexpr pg::Statement kClaim{
    "examq_claim",
    "SELECT id, job_type, priority, exam_paper_id, coalesce(payload, '{}'::jsonb), retry_count, "
    "max_retries, attempts, error_details "
    "FROM get_next_processing_jobs($1::integer, $2::text, $3::text[], $4::interval) "
    "ORDER BY priority DESC, run_at, id"};
constexpr pg::Statement kHeartbeat{
    "examq_heartbeat",
    "SELECT id, cancel_requested FROM heartbeat_processing_jobs($1::uuid[], $2::text, $3::integer[], $4::interval)"};
constexpr pg::Statement kProgress{
    "examq_progress",
    "SELECT update_job_progress($1::uuid, $2::integer, $3::text, $4::text, $5::integer, $6::interval)"};
constexpr pg::Statement kCompleteMany{
    "examq_complete_many", "SELECT complete_processing_jobs($1::uuid[], $2::jsonb[], $3::text, $4::integer[])"};
constexpr pg::Statement kCompleteOne{
    "examq_complete_one", "SELECT 1 FROM complete_processing_job($1::uuid, $2::jsonb, $3::text, $4::integer)"};
constexpr pg::Statement kFail{
    "examq_fail",
    "SELECT status, retry_count, max_retries, run_at FROM "
    "fail_processing_job($1::uuid, $2::text, $3::boolean, $4::jsonb, $5::text, $6::integer)"};
constexpr pg::Statement kRelease{
    "examq_release",
    "SELECT status, retry_count, max_retries, run_at FROM release_processing_job($1::uuid, $2::text, $3::integer)"};
constexpr pg::Statement kReleaseMany{
    "examq_release_many",
    "SELECT r.id, r.status FROM unnest($1::uuid[], $3::integer[]) AS u(id, attempt) "
    "CROSS JOIN LATERAL release_processing_job(u.id, $2::text, u.attempt) AS r"};
constexpr pg::Statement kSnooze{
    "examq_snooze",
    "SELECT status, retry_count, max_retries, run_at FROM "
    "snooze_processing_job($1::uuid, $2::interval, $3::text, $4::text, $5::integer, $6::jsonb)"};
constexpr pg::Statement kConfirmCancelled{
    "examq_confirm_cancelled", "SELECT 1 FROM confirm_processing_job_cancelled($1::uuid, $2::text, $3::integer)"};
constexpr pg::Statement kRegisterWorker{
    "examq_register_worker",
    "SELECT 1 FROM examq_register_worker($1::text, $2::text, $3::integer, $4::text, $5::text[], $6::integer, "
    "$7::interval, $8::interval)"};
constexpr pg::Statement kWorkerHeartbeat{"examq_worker_heartbeat", "SELECT examq_worker_heartbeat($1::text)"};
constexpr pg::Statement kDeregisterWorker{"examq_deregister_worker", "SELECT examq_deregister_worker($1::text)"};
constexpr pg::Statement kHeldBy{
    "examq_held_by", "SELECT id, attempts FROM processing_jobs WHERE status = 'processing' AND locked_by = $1::text"};

std::optional<std::string> types_param(const std::vector<std::string>& job_types) {
  if (job_types.empty()) return std::nullopt;
  return pg::array_literal(job_types);
}

std::string ids_literal(const std::vector<JobAttempt>& jobs) {
  std::vector<std::string_view> ids;
  ids.reserve(jobs.size());
  for (const JobAttempt& j : jobs) ids.emplace_back(j.id);
  return pg::array_literal(ids);
}

std::string attempts_literal(const std::vector<JobAttempt>& jobs) {
  std::string out = "{";
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(jobs[i].attempt);
  }
  return out + "}";
}

SettledRow settled_row(const pg::Result& r) {
  SettledRow row;
  row.status = r.get<std::string>(0, 0);
  row.retry_count = r.get<int>(0, 1);
  row.max_retries = r.get<int>(0, 2);
  row.run_at = r.get<std::optional<std::string>>(0, 3);
  return row;
}

}  // namespace

std::vector<handlers::Job> claim_jobs(pg::Connection& conn, int limit, const std::string& worker_id,
                                      const std::vector<std::string>& job_types, util::Duration lease) {
  pg::Result r = conn.exec(kClaim, limit, worker_id, types_param(job_types), lease);
  std::vector<handlers::Job> jobs;
  jobs.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    handlers::Job job;
    job.id = r.get<std::string>(i, 0);
    job.type = r.get<std::string>(i, 1);
    job.priority = r.get<int>(i, 2);
    job.exam_paper_id = r.get<std::optional<std::string>>(i, 3);
    try {
      job.payload = r.get<tao::json::value>(i, 4);
    } catch (const std::exception&) {
      // jsonb is always valid JSON; this only guards against a parser limit (e.g. depth).
      job.payload = tao::json::null;
    }
    job.retry_count = r.get<int>(i, 5);
    job.max_retries = r.get<int>(i, 6);
    job.attempt = r.get<int>(i, 7);
    if (!r.is_null(i, 8)) {
      try {
        job.error_details = r.get<tao::json::value>(i, 8);
      } catch (const std::exception&) {
        job.error_details = tao::json::null;
      }
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<Heartbeat> heartbeat_jobs(pg::Connection& conn, const std::vector<JobAttempt>& jobs,
                                      const std::string& worker_id, util::Duration lease) {
  pg::Result r = conn.exec(kHeartbeat, ids_literal(jobs), worker_id, attempts_literal(jobs), lease);
  std::vector<Heartbeat> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.get<std::string>(i, 0), r.get<bool>(i, 1)});
  return out;
}

bool update_progress(pg::Connection& conn, const JobAttempt& job, int percentage, std::string_view step,
                     const std::string& worker_id, util::Duration lease) {
  pg::Result r = conn.exec(kProgress, job.id, percentage, step, worker_id, job.attempt, lease);
  return r.get<std::optional<bool>>(0, 0).value_or(false);
}

std::vector<std::string> complete_jobs(pg::Connection& conn, const std::vector<JobAttempt>& jobs,
                                       const std::vector<std::string>& results, const std::string& worker_id) {
  pg::Result r = conn.exec(kCompleteMany, ids_literal(jobs), pg::array_literal(results), worker_id, attempts_literal(jobs));
  std::vector<std::string> done;
  done.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) done.push_back(r.get<std::string>(i, 0));
  return done;
}

void complete_job(pg::Connection& conn, const JobAttempt& job, const std::string& result_json,
                  const std::string& worker_id) {
  conn.exec(kCompleteOne, job.id, result_json, worker_id, job.attempt);
}

SettledRow fail_job(pg::Connection& conn, const JobAttempt& job, const std::string& message, bool critical,
                    const std::optional<std::string>& details_json, const std::string& worker_id) {
  return settled_row(conn.exec(kFail, job.id, message, critical, details_json, worker_id, job.attempt));
}

SettledRow release_job(pg::Connection& conn, const JobAttempt& job, const std::string& worker_id) {
  return settled_row(conn.exec(kRelease, job.id, worker_id, job.attempt));
}

std::vector<std::pair<std::string, std::string>> release_jobs(pg::Connection& conn, const std::vector<JobAttempt>& jobs,
                                                              const std::string& worker_id) {
  pg::Result r = conn.exec(kReleaseMany, ids_literal(jobs), worker_id, attempts_literal(jobs));
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.get<std::string>(i, 0), r.get<std::string>(i, 1));
  return out;
}

SettledRow snooze_job(pg::Connection& conn, const JobAttempt& job, util::Duration delay, const std::string& reason,
                      const std::string& worker_id, const std::optional<std::string>& details_json) {
  return settled_row(conn.exec(kSnooze, job.id, delay, reason, worker_id, job.attempt, details_json));
}

void confirm_cancelled(pg::Connection& conn, const JobAttempt& job, const std::string& worker_id) {
  conn.exec(kConfirmCancelled, job.id, worker_id, job.attempt);
}

std::vector<JobAttempt> jobs_held_by(pg::Connection& conn, const std::string& worker_id) {
  pg::Result r = conn.exec(kHeldBy, worker_id);
  std::vector<JobAttempt> held;
  for (int i = 0; i < r.rows(); ++i) held.push_back({r.get<std::string>(i, 0), r.get<int>(i, 1)});
  return held;
}

void register_worker(pg::Connection& conn, const WorkerRegistration& w) {
  conn.exec(kRegisterWorker, w.worker_id, w.host, w.pid, w.version, types_param(w.job_types), w.concurrency, w.lease,
            w.heartbeat_interval);
}

bool worker_heartbeat(pg::Connection& conn, const std::string& worker_id) {
  return conn.exec(kWorkerHeartbeat, worker_id).get<bool>(0, 0);
}

void deregister_worker(pg::Connection& conn, const std::string& worker_id) { conn.exec(kDeregisterWorker, worker_id); }

}  // namespace examq::queue::sql
