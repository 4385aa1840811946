#include "job_watcher.h"

#include <stdexcept>

namespace examq::testing {

JobWatcher::JobWatcher(const std::string& conninfo)
    : conn_(conninfo, "examq tests"), listener_({"processing_jobs_changes"}) {
  listener_.subscribe(conn_);
}

bool JobWatcher::wait_until(const std::function<bool(pg::Connection&)>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<pg::Notification> notes;
  for (;;) {
    if (done(conn_)) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    notes.clear();
    listener_.wait(conn_, nullptr, std::min(deadline, now + std::chrono::seconds(1)), notes);
  }
}

std::string insert_job(pg::Connection& conn, const std::string& job_type, const std::string& payload_json,
                       int priority, int max_retries) {
  return conn
      .exec("INSERT INTO processing_jobs (job_type, payload, priority, max_retries) "
            "VALUES ($1, $2::jsonb, $3::integer, $4::integer) RETURNING id",
            job_type, payload_json, priority, max_retries)
      .get<std::string>(0, 0);
}

int count_status(pg::Connection& conn, const std::string& status) {
  return conn.exec("SELECT count(*)::integer FROM processing_jobs WHERE status = $1", status).get<int>(0, 0);
}

std::string job_field(pg::Connection& conn, const std::string& id, const std::string& column) {
  // The column name comes from the test itself; quote it anyway.
  std::string sql = "SELECT " + conn.quote_identifier(column) + "::text FROM processing_jobs WHERE id = $1::uuid";
  pg::Result r = conn.exec(sql.c_str(), id);
  if (r.rows() != 1) throw std::runtime_error("no job " + id);
  return r.get<std::optional<std::string>>(0, 0).value_or("<NULL>");
}

}  // namespace examq::testing
