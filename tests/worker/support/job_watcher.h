#pragma once
// Waits for the queue to reach a state, woken by the notifications on
// processing_jobs_changes (every job status/progress change sends one) instead of sleeping.

#include "pg/connection.h"
#include "pg/listener.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace examq::testing {

class JobWatcher {
 public:
  explicit JobWatcher(const std::string& conninfo);

  // Evaluates `done` now and again after every batch of notifications (and at least every
  // second, for changes that send none, like a heartbeat), until it is true or `timeout`
  // passes. Returns whether it became true.
  bool wait_until(const std::function<bool(pg::Connection&)>& done, std::chrono::milliseconds timeout);

  // A connection for queries (it also LISTENs; that does not matter for queries).
  pg::Connection& conn() { return conn_; }

 private:
  pg::Connection conn_;
  pg::Listener listener_;
};

// Enqueues a job (INSERT) and returns its id.
std::string insert_job(pg::Connection& conn, const std::string& job_type, const std::string& payload_json,
                       int priority = 0, int max_retries = 3);
// count(*) of jobs with that status.
int count_status(pg::Connection& conn, const std::string& status);
// A job's column as text, or "<NULL>".
std::string job_field(pg::Connection& conn, const std::string& id, const std::string& column);

}  // namespace examq::testing
