#pragma once
// `examq worker`: run jobs until SIGTERM/SIGINT.

#include "cli/command.h"
#include "cli/common_options.h"
#include "cli/detached_worker.h"
#include "queue/config.h"

#include <string>
#include <vector>

namespace examq::cli {

// The worker's options as given (flags, or EXAMQ_* variables through CLI11's envname).
struct WorkerOptions {
  std::string db;
  std::string listen_db;          // --listen-db: "" = the same as --db
  std::string db_pooler = "none";  // --db-pooler: none | transaction
  int concurrency = 0;  // 0 = number of cores
  std::string job_types;
  std::string poll_interval = "5s";
  std::string lease = "60s";
  std::string shutdown_grace = "30s";
  std::string worker_id;  // "" = host:pid
  int max_batch = 500;
  std::string metrics_listen;  // "" = no metrics endpoint
  bool metrics_allow_remote = false;
  LoggingOptions logging;
  bool detach = false;  // --detach (`examq worker` only)
};

// Declares the worker's options on `sub` (used by add_worker_command, `examq up --worker` without
// --db, which uses its own cluster, and by tests).
void bind_worker_options(CLI::App& sub, WorkerOptions& options, bool with_database = true);
// Applies defaults and checks everything; throws std::invalid_argument with a clear message.
queue::WorkerConfig to_worker_config(const WorkerOptions& options);

// The options as `examq worker` arguments (every setting spelled out, --shutdown-grace
// included: `examq down` reads it back), except --db, which is passed in the environment so
// that no password shows in `ps`.
std::vector<std::string> worker_arguments(const WorkerOptions& options);

// Checks the options, then starts the worker detached (cli/detached_worker.h) under
// $EXAMQ_HOME and waits until it is ready. Throws std::invalid_argument (bad options),
// WorkerAlreadyRunning or std::runtime_error.
DetachedWorker start_worker_in_background(const WorkerOptions& options);

Command add_worker_command(CLI::App& app);

}  // namespace examq::cli
