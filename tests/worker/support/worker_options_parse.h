#pragma once
// Parses `examq worker ARGS...` the way the binary does (flags and EXAMQ_* variables), for the
// option suites; no database.

#include "cli/worker_command.h"

#include <algorithm>
#include <string>
#include <vector>

namespace examq::testing {

inline cli::WorkerOptions parse_worker_options(std::vector<std::string> args) {
  CLI::App app{"test"};
  CLI::App* sub = app.add_subcommand("worker");
  cli::WorkerOptions options;
  cli::bind_worker_options(*sub, options);
  args.insert(args.begin(), "worker");
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  app.parse(args);
  return options;
}

}  // namespace examq::testing
