#include "cli/down_command.h"

#include "cli/local_cluster.h"
#include "cli/output.h"

#include <iostream>

namespace examq::cli {

Command add_down_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "down", "Stop the detached worker (examq worker --detach, examq up --worker), then the private cluster under $EXAMQ_HOME");
  sub->footer("The data stays; `examq up` starts it again. Remove $EXAMQ_HOME to start from scratch.");
  return {sub, []() {
            return run_reporting("down", []() {
              std::cout << LocalCluster().down();
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
