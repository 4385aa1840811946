#include "cli/worker_registry.h"

#include "cli/output.h"
#include "pg/array.h"
#include "pg/error.h"

#include <ostream>
#include <vector>

namespace examq::cli {

namespace {

const pg::Statement kListWorkers{
    "examq_cli_list_workers",
    "SELECT coalesce(jsonb_agg(w ORDER BY w.state <> 'live', w.state, w.started_at, w.worker_id), '[]') FROM ("
    " SELECT worker_id, state, host, pid, version, job_types, concurrency, held_jobs, job_ids,"
    "  extract(epoch FROM lease)::float8 AS lease_seconds,"
    "  extract(epoch FROM heartbeat_interval)::float8 AS heartbeat_seconds,"
    "  db_user, started_at, last_seen_at, stopped_at,"
    "  extract(epoch FROM CASE WHEN state = 'live' THEN now() ELSE last_seen_at END - started_at)::float8"
    "   AS uptime_seconds,"
    "  extract(epoch FROM now() - last_seen_at)::float8 AS last_seen_seconds_ago"
    " FROM examq_worker_status WHERE $1::boolean OR state = 'live') w"};

// For each type asked about: whether a live worker claims it (job_types NULL claims every type).
const pg::Statement kCoverage{
    "examq_cli_worker_coverage",
    "SELECT t.name, EXISTS (SELECT 1 FROM examq_live_workers AS w"
    "                        WHERE w.job_types IS NULL OR t.name = ANY (w.job_types))"
    " FROM unnest($1::text[]) AS t(name)"};

}  // namespace

bool has_worker_registry(pg::Connection& conn) {
  return conn.exec("SELECT to_regclass('public.examq_worker_status') IS NOT NULL").get<bool>(0, 0);
}

tao::json::value list_workers(pg::Connection& conn, bool include_gone) {
  return conn.exec(kListWorkers, include_gone).get<tao::json::value>(0, 0);
}

void WorkerCoverage::say(const char* event, const std::string& type, const std::string& message, bool warning) {
  if (json_) {
    print_json_line(err_, {{"event", event}, {"time", utc_now()}, {"job_type", type}, {"message", message}});
  } else {
    err_ << "examq " << command_ << ": " << (warning ? "warning: " : "") << printable(message) << "\n";
  }
}

bool WorkerCoverage::check(pg::Connection& conn, const std::set<std::string>& waiting, bool workers_changed) {
  if (disabled_) return false;
  // After a change, the types warned about too: their jobs may have been claimed meanwhile, but
  // the person was told no worker runs them.
  std::set<std::string> wanted = waiting;
  if (workers_changed) wanted.insert(uncovered_.begin(), uncovered_.end());
  std::vector<std::string> ask;
  for (const std::string& t : wanted) {
    if (workers_changed || asked_.count(t) == 0) ask.push_back(t);
  }
  if (ask.empty()) return false;
  pg::Result r;
  try {
    if (!probed_) {
      probed_ = true;
      disabled_ = !conn.exec("SELECT to_regclass('public.examq_live_workers') IS NOT NULL "
                             "AND has_table_privilege('public.examq_live_workers', 'SELECT')")
                       .get<bool>(0, 0);
      if (disabled_) return false;
    }
    r = conn.exec(kCoverage, pg::array_literal(ask));
  } catch (const pg::Error& e) {
    if (e.connection_lost()) throw;
    disabled_ = true;  // e.g. 42501: a login that may read the jobs but not the registry
    return false;
  }
  bool printed = false;
  for (int i = 0; i < r.rows(); ++i) {
    const std::string type = r.get<std::string>(i, 0);
    const bool covered = r.get<bool>(i, 1);
    asked_.insert(type);
    if (!covered && uncovered_.insert(type).second) {
      say("no_live_worker", type,
          "no live worker runs " + type +
              " jobs; they wait until one starts (`examq worker`; `examq workers` lists the live ones)",
          true);
      printed = true;
    } else if (covered && uncovered_.erase(type) > 0) {
      say("worker_live", type, "a worker that runs " + type + " jobs is live now", false);
      printed = true;
    }
  }
  err_.flush();
  return printed;
}

}  // namespace examq::cli
