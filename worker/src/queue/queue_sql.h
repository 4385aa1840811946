#pragma once
// Every SQL call the worker makes, one function each, over the functions of sql/ (0001, 0004
// and, for the worker registry, 0008). All are prepared statements with text parameters. Each throws pg::Error; calls about a
// held job name its attempt and raise job_not_held() (55000) when that attempt lost the job,
// even when this worker claimed it again since (a newer attempt).

#include "handlers/job.h"
#include "pg/connection.h"
#include "util/duration.h"

#include <optional>
#include <string>
#include <vector>

namespace examq::queue::sql {

// One claim of a job: the job's id and the attempt number its claim returned. Every call about
// a held job names both, so that a stale attempt can never settle a newer one.
struct JobAttempt {
  std::string id;
  int attempt = 0;

  static JobAttempt of(const handlers::Job& job) { return {job.id, job.attempt}; }
};

// get_next_processing_jobs: claims up to `limit` jobs, in claim order (priority first).
std::vector<handlers::Job> claim_jobs(pg::Connection& conn, int limit, const std::string& worker_id,
                                      const std::vector<std::string>& job_types, util::Duration lease);

struct Heartbeat {
  std::string id;
  bool cancel_requested = false;
};
// heartbeat_processing_jobs: renews the leases of the jobs still held; one row per such job.
std::vector<Heartbeat> heartbeat_jobs(pg::Connection& conn, const std::vector<JobAttempt>& jobs,
                                      const std::string& worker_id, util::Duration lease);

// update_job_progress: returns true when cancellation was requested.
bool update_progress(pg::Connection& conn, const JobAttempt& job, int percentage, std::string_view step,
                     const std::string& worker_id, util::Duration lease);

// complete_processing_jobs: results[i] (JSON text) belongs to jobs[i]; returns the ids completed.
std::vector<std::string> complete_jobs(pg::Connection& conn, const std::vector<JobAttempt>& jobs,
                                       const std::vector<std::string>& results, const std::string& worker_id);
// complete_processing_job (used inside a handler's completion transaction).
void complete_job(pg::Connection& conn, const JobAttempt& job, const std::string& result_json,
                  const std::string& worker_id);

// The job's row after a settle that may not be final (fail, release).
struct SettledRow {
  std::string status;
  int retry_count = 0;
  int max_retries = 0;
  std::optional<std::string> run_at;
};
// fail_processing_job.
SettledRow fail_job(pg::Connection& conn, const JobAttempt& job, const std::string& message, bool critical,
                    const std::optional<std::string>& details_json, const std::string& worker_id);
// release_processing_job.
SettledRow release_job(pg::Connection& conn, const JobAttempt& job, const std::string& worker_id);
// release_processing_job for each of jobs, in one statement (one commit): what a worker
// shutting down with a buffer of claimed jobs needs. Fails as a whole if any is not held
// (then release them one by one). Returns each job's id and resulting status.
std::vector<std::pair<std::string, std::string>> release_jobs(pg::Connection& conn, const std::vector<JobAttempt>& jobs,
                                                              const std::string& worker_id);
// snooze_processing_job, with details_json (an object, merged into error_details) when given.
SettledRow snooze_job(pg::Connection& conn, const JobAttempt& job, util::Duration delay, const std::string& reason,
                      const std::string& worker_id, const std::optional<std::string>& details_json = std::nullopt);
// confirm_processing_job_cancelled.
void confirm_cancelled(pg::Connection& conn, const JobAttempt& job, const std::string& worker_id);

// The jobs (and attempts) the database says worker_id holds (status processing, locked_by).
std::vector<JobAttempt> jobs_held_by(pg::Connection& conn, const std::string& worker_id);

// What a worker tells the registry about itself (examq_register_worker).
struct WorkerRegistration {
  std::string worker_id, host, version;
  int pid = 0;
  std::vector<std::string> job_types;  // empty: every type
  int concurrency = 1;
  util::Duration lease{}, heartbeat_interval{};
};
// examq_register_worker: records (or replaces) this worker's row, live from now.
void register_worker(pg::Connection& conn, const WorkerRegistration& worker);
// examq_worker_heartbeat: false when the registry no longer lists this worker as running (then
// register again).
bool worker_heartbeat(pg::Connection& conn, const std::string& worker_id);
// examq_deregister_worker: marks it stopped.
void deregister_worker(pg::Connection& conn, const std::string& worker_id);

}  // namespace examq::queue::sql
