#include "cli/up_command.h"

#include "cli/local_cluster.h"
#include "cli/output.h"

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>

namespace examq::cli {

Command add_up_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand(
      "up", "Create (first time) and start a private PostgreSQL cluster under $EXAMQ_HOME (./.examq) and install the schema");
  sub->add_flag("--json", *json, "Print the outcome as JSON");
  sub->footer(
      "Idempotent: run it again to start a stopped cluster or upgrade its schema. The cluster listens on a free\n"
      "port of 127.0.0.1 (trust authentication, this machine only) and on a unix socket in its data directory;\n"
      "as root it runs as the `postgres` user. The connection is recorded in $EXAMQ_HOME/connection, where\n"
      "every other subcommand (and `examq worker`) finds it unless --db, EXAMQ_DB or DATABASE_URL is given.\n"
      "When the examq_cleanup extension is installed (make -f Makefile.pg install) it is preloaded and created.");
  return {sub, [json]() {
            return run_reporting("up", *json, [&]() {
              LocalCluster cluster;
              LocalCluster::UpReport r = cluster.up();
              if (*json) {
                print_json(std::cout, tao::json::value{{"home", cluster.home()},
                                                       {"data_directory", cluster.data_dir()},
                                                       {"created", r.created},
                                                       {"started", r.started},
                                                       {"connection", r.conninfo},
                                                       {"schema_version", r.schema_version},
                                                       {"cleanup_extension", r.extension}});
                return kExitOk;
              }
              std::cout << "PostgreSQL: " << cluster.data_dir()
                        << (r.created ? " (created, started)" : r.started ? " (started)" : " (already running)") << "\n"
                        << "connection: " << r.conninfo << "  (recorded in " << cluster.home() << "/connection)\n"
                        << "schema:     version " << r.schema_version
                        << (r.applied.empty() ? " (up to date)" : " (applied " + r.applied + ")") << "\n"
                        << "cleanup:    "
                        << (r.extension ? "examq_cleanup preloaded and created"
                                        : "extension not installed (make -f Makefile.pg install, then examq up)")
                        << "\n"
                        << "Stop it with `examq down`.\n";
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
