#include "cli/workers_command.h"

#include "cli/common_options.h"
#include "cli/output.h"
#include "cli/worker_registry.h"
#include "pg/connection.h"
#include "schema/migrator.h"

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>
#include <stdexcept>

namespace examq::cli {

namespace {

struct WorkersOptions {
  std::string db;
  bool all = false;
  bool json = false;
};

std::string types_cell(const tao::json::value& w) {
  const tao::json::value& types = w.at("job_types");
  if (types.is_null()) return "all";
  std::string out;
  for (const auto& t : types.get_array()) out += (out.empty() ? "" : ",") + cell(t);
  return out;
}

}  // namespace

Command add_workers_command(CLI::App& app) {
  auto o = std::make_shared<WorkersOptions>();
  CLI::App* sub = app.add_subcommand("workers", "List the live workers (idle ones too) from the worker registry");
  sub->add_flag("--all", o->all, "Also the lost (stopped heartbeating) and stopped workers the registry keeps");
  sub->add_flag("--json", o->json, "Print a JSON array of workers");
  add_database_option(*sub, o->db);
  sub->footer(
      "A worker registers when it starts and heartbeats every lease/3; it is live while seen within\n"
      "examq.worker_timeout (default 2 minutes), lost after that, stopped after a clean shutdown.\n"
      "Exit 0 even when none is live; 1 when the database cannot be read.");
  return {sub, [o]() {
            return run_reporting("workers", o->json, [&]() {
              pg::Connection conn(resolve_database(o->db), "examq workers");
              if (!has_worker_registry(conn)) {
                throw std::runtime_error("this database has no worker registry (schema version " +
                                         std::to_string(schema::installed_version(conn)) +
                                         "; it came with version 8): run `examq migrate`");
              }
              tao::json::value workers = list_workers(conn, o->all);
              if (o->json) {
                print_json(std::cout, workers);
                return kExitOk;
              }
              if (workers.get_array().empty()) {
                std::cout << (o->all ? "no workers registered" : "no live workers")
                          << ": jobs wait until one starts (`examq worker`)\n";
                return kExitOk;
              }
              Table table({"WORKER", "STATE", "HOST", "PID", "VERSION", "TYPES", "JOBS", "UP", "LAST SEEN"});
              for (const auto& w : workers.get_array()) {
                table.add({cell(w, "worker_id"), cell(w, "state"), cell(w, "host"), cell(w, "pid"), cell(w, "version"),
                           types_cell(w), cell(w, "held_jobs") + "/" + cell(w, "concurrency"),
                           format_age(w.at("uptime_seconds").as<double>()),
                           format_age(w.at("last_seen_seconds_ago").as<double>()) + " ago"});
              }
              table.print(std::cout);
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
