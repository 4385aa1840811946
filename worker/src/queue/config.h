#pragma once
// What `examq worker` runs with. Filled from flags, EXAMQ_* variables and defaults by the
// command line (cli/worker_command.cc); checked here.

#include "util/duration.h"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace examq::queue {

struct WorkerConfig {
  // The conninfo the dispatcher LISTENs on.
  const std::string& listen_on() const { return listen_conninfo.empty() ? conninfo : listen_conninfo; }
  // True when LISTEN has a session of its own, apart from the claims.
  bool listen_apart() const { return !listen_conninfo.empty() && listen_conninfo != conninfo; }

  // libpq conninfo or URI; "" uses the PG* environment variables.
  std::string conninfo;
  // The dispatcher's LISTEN session (--listen-db); "" = conninfo. Point it past a
  // transaction-mode pooler: LISTEN needs a server session of its own.
  std::string listen_conninfo;
  // conninfo leads to a transaction-mode pooler (--db-pooler=transaction): statements go
  // unnamed (pg::StatementMode::unnamed) and no session state is relied on.
  bool transaction_pooler = false;
  // Jobs running at once (executor threads).
  int concurrency = 1;
  // Job types to claim; empty claims every type (a type without a handler then fails).
  std::vector<std::string> job_types;
  // Fallback polling: notifications are hints and can be missed.
  util::Duration poll_interval = std::chrono::seconds(5);
  // Lease asked for on every claim and renewal; renewals happen every lease / 3.
  util::Duration lease = std::chrono::seconds(60);
  // On SIGTERM/SIGINT, how long running jobs may take to finish before they are handed back.
  util::Duration shutdown_grace = std::chrono::seconds(30);
  // Recorded as locked_by; unique per running worker.
  std::string worker_id;
  // Most jobs claimed, completed or renewed in one round trip.
  int max_batch = 500;
};

// The number of online CPUs (at least 1).
int default_concurrency();
// "<hostname>:<pid>".
std::string default_worker_id();
// Splits "a, b,c" into {"a","b","c"}, dropping empty items.
std::vector<std::string> parse_job_types(std::string_view csv);

// Throws std::invalid_argument naming the first invalid setting and its accepted range.
void validate(const WorkerConfig& config);

}  // namespace examq::queue
