#include "cli/up_command.h"

#include "cli/local_cluster.h"
#include "cli/output.h"
#include "cli/worker_command.h"

#include <tao/json/value.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

namespace examq::cli {
namespace {

bool home_is_absolute() {
  const char* v = std::getenv("EXAMQ_HOME");
  return v != nullptr && v[0] == '/';
}

}  // namespace

Command add_up_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto worker = std::make_shared<bool>(false);
  auto worker_options = std::make_shared<WorkerOptions>();
  CLI::App* sub = app.add_subcommand(
      "up", "Create (first time) and start a private PostgreSQL cluster under $EXAMQ_HOME (./.examq) and install the schema");
  sub->add_flag("--json", *json, "Print the outcome as JSON");
  sub->add_flag("--worker", *worker,
                "Also start a worker in the background on this cluster, as `examq worker --detach` (the worker "
                "options below apply to it); kept when one already runs");
  bind_worker_options(*sub, *worker_options, /*with_database=*/false);
  sub->footer(
      "Idempotent: run it again to start a stopped cluster or upgrade its schema. The cluster listens on a free\n"
      "port of 127.0.0.1 (trust authentication, this machine only) and on a unix socket in its data directory;\n"
      "as root it runs as the `postgres` user. The connection is recorded in $EXAMQ_HOME/connection, where\n"
      "every other subcommand (and `examq worker`) finds it unless --db, EXAMQ_DB or DATABASE_URL is given.\n"
      "When the examq_cleanup extension is installed (make -f Makefile.pg install) it is preloaded and created.");
  return {sub, [json, worker, worker_options]() {
            return run_reporting("up", *json, [&]() {
              LocalCluster cluster;
              LocalCluster::UpReport r = cluster.up();
              // The worker: started now, or the one already running (up is idempotent).
              std::optional<DetachedWorker> background;
              bool started_worker = false;
              if (std::optional<int> pid = cluster.worker_pid()) {
                background = DetachedWorker{*pid, detached_worker_log(cluster.home())};
              } else if (*worker) {
                background = start_worker_in_background(*worker_options);
                started_worker = true;
              }
              if (*json) {
                tao::json::value out = {{"home", cluster.home()},
                                        {"data_directory", cluster.data_dir()},
                                        {"created", r.created},
                                        {"started", r.started},
                                        {"connection", r.conninfo},
                                        {"schema_version", r.schema_version},
                                        {"cleanup_extension", r.extension}};
                if (background) {
                  out["worker"] = tao::json::value{{"pid", background->pid}, {"log", background->log}, {"started", started_worker}};
                }
                print_json(std::cout, out);
                return kExitOk;
              }
              std::cout << "PostgreSQL: " << cluster.data_dir()
                        << (r.created ? " (created, started)" : r.started ? " (started)" : " (already running)") << "\n"
                        << "connection: " << r.conninfo << "  (recorded in " << cluster.home() << "/connection)\n"
                        << (home_is_absolute() ? ""
                                               : "            (found from subdirectories; from elsewhere, set EXAMQ_HOME=" +
                                                     cluster.home() + ")\n")
                        << "schema:     version " << r.schema_version
                        << (r.applied.empty() ? " (up to date)" : " (applied " + r.applied + ")") << "\n"
                        << "cleanup:    "
                        << (r.extension ? "examq_cleanup preloaded and created"
                                        : "extension not installed (make -f Makefile.pg install, then examq up)")
                        << "\n";
              if (background) {
                std::cout << "worker:     pid " << background->pid << (started_worker ? " (started)" : " (already running)")
                          << ", log " << background->log << "\n"
                          << "Stop them with `examq down`.\n";
              } else {
                std::cout << "worker:     none started: jobs wait until one runs (`examq up --worker`, or `examq worker` "
                             "in another terminal)\n"
                          << "Stop it with `examq down`.\n";
              }
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
