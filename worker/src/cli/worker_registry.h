#pragma once
// What the command line reads from the worker registry (sql/0008: examq_worker_status,
// examq_live_workers): the workers for `examq workers` and `examq status`, and, for `submit
// --wait` and `watch`, whether any live worker claims the types of the jobs being waited on.

#include "pg/connection.h"

#include <tao/json/value.hpp>

#include <iosfwd>
#include <set>
#include <string>

namespace examq::cli {

// Whether this database has the registry (schema version 8 or later).
bool has_worker_registry(pg::Connection& conn);

// The registered workers, live ones first, then (with include_gone) the lost and stopped ones:
// an array of objects with the view's columns in snake_case (worker_id, state, host, pid,
// version, job_types (null: every type), concurrency, held_jobs, job_ids, db_user, started_at,
// last_seen_at, stopped_at), the lease and heartbeat interval in seconds (lease_seconds,
// heartbeat_seconds), and uptime_seconds and last_seen_seconds_ago. Throws pg::Error (42501 for
// a login that is not an admin).
tao::json::value list_workers(pg::Connection& conn, bool include_gone);

// Tells the person waiting on jobs, on `err`, when no live worker claims the type of a job that
// waits to be claimed (it would wait in silence), and when one appears. Says nothing when the
// database has no registry or the login may not read it.
class WorkerCoverage {
 public:
  // `command` names the subcommand in the messages ("examq watch: warning: ..."). With `json`,
  // each message is instead a watch event on one line ({"event": "no_live_worker" or
  // "worker_live", "time", "job_type", "message"}).
  WorkerCoverage(std::string command, std::ostream& err, bool json = false)
      : command_(std::move(command)), err_(err), json_(json) {}

  // `waiting`: the types of the jobs still pending. Asks the database about the types not asked
  // about before, or, after `workers_changed` (a worker registered or stopped, a reconnect),
  // about all of them and those warned about. Returns whether it printed anything.
  bool check(pg::Connection& conn, const std::set<std::string>& waiting, bool workers_changed);

 private:
  void say(const char* event, const std::string& type, const std::string& message, bool warning);

  const std::string command_;
  std::ostream& err_;
  const bool json_;
  std::set<std::string> asked_;      // types whose coverage is known
  std::set<std::string> uncovered_;  // of those, the ones warned about
  bool disabled_ = false;
  bool probed_ = false;
};

}  // namespace examq::cli
