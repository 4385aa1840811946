#pragma once
// `examq worker`: run jobs until SIGTERM/SIGINT.

#include "cli/command.h"
#include "cli/common_options.h"
#include "queue/config.h"

#include <string>

namespace examq::cli {

// The worker's options as given (flags, or EXAMQ_* variables through CLI11's envname).
struct WorkerOptions {
  std::string db;
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
};

// Declares the worker's options on `sub` (used by add_worker_command and by tests).
void bind_worker_options(CLI::App& sub, WorkerOptions& options);
// Applies defaults and checks everything; throws std::invalid_argument with a clear message.
queue::WorkerConfig to_worker_config(const WorkerOptions& options);

Command add_worker_command(CLI::App& app);

}  // namespace examq::cli
