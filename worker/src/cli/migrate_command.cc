#include "cli/migrate_command.h"

#include "cli/common_options.h"
#include "cli/output.h"
#include "pg/connection.h"
#include "schema/migrator.h"

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>

namespace examq::cli {

namespace {
struct MigrateOptions {
  std::string db;
  bool json = false;
};
}  // namespace

Command add_migrate_command(CLI::App& app) {
  auto o = std::make_shared<MigrateOptions>();
  CLI::App* sub = app.add_subcommand("migrate", "Install or upgrade the examq schema in the database");
  add_database_option(*sub, o->db);
  sub->add_flag("--json", o->json, "Print the outcome as JSON");
  sub->footer(
      "Applies each migration compiled into this binary that the database lacks, each in its own transaction,\n"
      "under the same advisory lock as sql/install.sql (the two can be mixed). Needs a role that may create\n"
      "tables and, the first time on a cluster, roles.");
  return {sub, [o]() {
            return run_reporting("migrate", o->json, [&]() {
              pg::Connection conn(resolve_database(o->db), "examq migrate");
              schema::MigrateResult r = schema::migrate(conn);
              if (o->json) {
                tao::json::value applied = tao::json::empty_array;
                for (int v : r.applied) applied.push_back(v);
                print_json(std::cout, {{"applied", applied}, {"version", r.version}, {"newest_known", r.newest_known}});
              } else if (r.applied.empty()) {
                std::cout << "schema is up to date (version " << r.version << ")\n";
              } else {
                std::cout << "applied";
                for (int v : r.applied) std::cout << " " << v;
                std::cout << "; schema version " << r.version << "\n";
              }
              if (r.version > r.newest_known) {
                print_warning("migrate",
                              "the database is at version " + std::to_string(r.version) + ", newer than this binary (" +
                                  std::to_string(r.newest_known) + "): upgrade examq",
                              o->json);
              }
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
