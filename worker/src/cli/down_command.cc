#include "cli/down_command.h"

#include "cli/local_cluster.h"
#include "cli/output.h"

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>
#include <sstream>

namespace examq::cli {

namespace {

// docs/schemas/down.schema.json: what was running before, so what `down` stopped, and its
// report one line per thing.
tao::json::value down_json(const LocalCluster& cluster, std::optional<int> worker_pid, bool existed, bool was_running,
                           const std::string& said) {
  tao::json::value messages = tao::json::empty_array;
  std::istringstream lines(said);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) messages.push_back(line);
  }
  return {{"home", cluster.home()},
          {"data_directory", cluster.data_dir()},
          {"worker_pid", worker_pid ? tao::json::value(*worker_pid) : tao::json::value(tao::json::null)},
          {"cluster", !existed ? "none" : was_running ? "stopped" : "not_running"},
          {"messages", messages}};
}

}  // namespace

Command add_down_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand(
      "down", "Stop the detached worker (examq worker --detach, examq up --worker), then the private cluster under $EXAMQ_HOME");
  sub->add_flag("--json", *json, "Print what was stopped as JSON");
  sub->footer("The data stays; `examq up` starts it again. Remove $EXAMQ_HOME to start from scratch.");
  return {sub, [json]() {
            return run_reporting("down", *json, [&]() {
              LocalCluster cluster;
              const std::optional<int> worker_pid = cluster.worker_pid();
              const bool existed = cluster.exists(), was_running = existed && cluster.running();
              const std::string said = cluster.down();
              if (*json) {
                print_json(std::cout, down_json(cluster, worker_pid, existed, was_running, said));
              } else {
                std::cout << said;
              }
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
