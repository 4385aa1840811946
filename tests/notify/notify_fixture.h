#pragma once
// What the notify suites share: a settled batch with a preference row (so that sql/0012's
// settle triggers have enqueued its notify job), and environment settings for the worker child.

#include "job_watcher.h"
#include "pg/connection.h"
#include "test_database.h"
#include "worker_process.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace examq::testing {

struct SettledBatch {
  std::string batch_id;
  std::string physics_job;    // completed, 3 questions, review needed
  std::string chemistry_job;  // failed (critical): "the PDF is encrypted"
  std::vector<std::string> notify_jobs;  // enqueued by the settle, oldest first
};

// Batch "Week 12 – mocks" of two process-exam-paper jobs, settled through the queue's SQL
// functions as another worker would, for a preference row of this login (per batch) with
// `channel` ("email" or "webhook") set to `address`.
SettledBatch settle_batch(pg::Connection& conn, const std::string& channel, const std::string& address);

// Waits (60 s at most) until the job's `column` reads `value`. "" when it does; otherwise what
// the job and the worker's log say, read after the wait (a message given to Boost's
// BOOST_REQUIRE_MESSAGE may be built before its condition runs).
std::string wait_for(JobWatcher& watcher, WorkerProcess& worker, const std::string& job, const std::string& column,
                     const std::string& value);

// A login role in examq_worker only (no superuser, no admin), made for one test and dropped
// after it, so that the worker reads through row-level security as a deployed one does.
class WorkerLogin {
 public:
  explicit WorkerLogin(const TestDatabase& db);
  ~WorkerLogin();
  WorkerLogin(const WorkerLogin&) = delete;
  WorkerLogin& operator=(const WorkerLogin&) = delete;
  // The database's conninfo as this login.
  std::string conninfo() const { return conninfo_; }

 private:
  std::string name_;
  std::string conninfo_;
  std::string admin_conninfo_;
};

// Sets (or, for "", unsets) environment variables for the worker children started while it
// lives; restores them afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<std::string, std::string>> values);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace examq::testing
