#include "cli/status_command.h"

#include "cli/common_options.h"
#include "cli/detached_worker.h"
#include "cli/local_cluster.h"
#include "cli/output.h"
#include "cli/worker_registry.h"
#include "pg/connection.h"
#include "pg/error.h"
#include "schema/migrations.h"
#include "schema/migrator.h"

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>
#include <regex>

namespace examq::cli {

namespace {

struct StatusOptions {
  std::string db;
  bool json = false;
};

// The conninfo without its password (key=value or URI form).
std::string redact(const std::string& conninfo) {
  static const std::regex kv(R"(password\s*=\s*('([^'\\]|\\.)*'|\S+))");
  static const std::regex uri(R"(^(postgres(ql)?://[^:/@]*):[^@]*@)");
  std::string s = std::regex_replace(conninfo, kv, "password=***");
  return std::regex_replace(s, uri, "$1:***@");
}

// The ids of the live workers (idle ones too), from the registry; null when the schema has
// none yet or the login may not read it.
tao::json::value live_worker_ids(pg::Connection& conn) {
  try {
    if (!has_worker_registry(conn)) return tao::json::null;
    tao::json::value ids = tao::json::empty_array;
    const tao::json::value workers = list_workers(conn, false);
    for (const auto& w : workers.get_array()) ids.push_back(w.at("worker_id"));
    return ids;
  } catch (const pg::Error& e) {
    if (e.connection_lost()) throw;
    return tao::json::null;
  }
}

std::string workers_line(const tao::json::value& workers) {
  if (workers.is_null()) return "unknown (no worker registry in this schema, or not readable by this login)";
  const auto& ids = workers.get_array();
  if (ids.empty()) return "none live: jobs wait until one starts (`examq worker`)";
  std::string line = std::to_string(ids.size()) + " live: ";
  constexpr std::size_t kShown = 5;
  for (std::size_t i = 0; i < ids.size() && i < kShown; ++i) line += (i ? ", " : "") + cell(ids[i]);
  if (ids.size() > kShown) line += ", … (`examq workers` lists them all)";
  return line;
}

}  // namespace

Command add_status_command(CLI::App& app) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* sub = app.add_subcommand(
      "status", "Show the private cluster, the connection, schema version, cleanup extension, jobs and workers");
  add_database_option(*sub, o->db);
  sub->add_flag("--json", o->json, "Print the status as JSON");
  sub->footer("Exit code 0 when the database answers, 1 when it cannot be reached.");
  return {sub, [o]() {
            return run_reporting("status", o->json, [&]() {
              LocalCluster cluster;
              const std::string conninfo = resolve_database(o->db);
              tao::json::value local = {{"home", cluster.home()},
                                        {"exists", cluster.exists()},
                                        {"running", cluster.running()}};
              if (auto pid = cluster.worker_pid()) local["background_worker_pid"] = *pid;
              tao::json::value status = {{"local_cluster", local},
                                         {"connection", conninfo.empty() ? "(PG* environment)" : redact(conninfo)},
                                         {"cleanup_extension_installed", LocalCluster::cleanup_extension_available()}};
              int rc = kExitOk;
              try {
                pg::Connection conn(conninfo, "examq status");
                const int version = schema::installed_version(conn);
                status["schema_version"] = version;
                status["binary_schema_version"] =
                    schema::migrations().empty() ? 0 : schema::migrations().back().version;
                status["server"] = conn.exec("SELECT current_database() || ' on PostgreSQL ' || "
                                             "current_setting('server_version')").get<std::string>(0, 0);
                auto ext = conn.exec("SELECT extversion FROM pg_extension WHERE extname = 'examq_cleanup'");
                status["cleanup_extension"] = ext.rows() == 1 ? tao::json::value(std::string(ext.text(0, 0)))
                                                             : tao::json::value(tao::json::null);
                auto preload = conn.exec("SELECT current_setting('shared_preload_libraries')");
                status["cleanup_preloaded"] =
                    std::string(preload.text(0, 0)).find("examq_cleanup") != std::string::npos;
                if (version > 0) {
                  status["jobs"] = conn.exec("SELECT jsonb_build_object("
                                             "'pending', count(*) FILTER (WHERE status = 'pending'), "
                                             "'processing', count(*) FILTER (WHERE status = 'processing'), "
                                             "'completed', count(*) FILTER (WHERE status = 'completed'), "
                                             "'failed', count(*) FILTER (WHERE status = 'failed'), "
                                             "'cancelled', count(*) FILTER (WHERE status = 'cancelled')) "
                                             "FROM processing_jobs")
                                         .get<tao::json::value>(0, 0);
                  status["workers"] = live_worker_ids(conn);
                }
              } catch (const pg::Error& e) {
                // The same object --json prints on stderr for any failure.
                status["error"] = error_json("status", e).at("error");
                rc = kExitFailure;
              }
              if (o->json) {
                print_json(std::cout, status);
                if (rc != kExitOk) print_json_line(std::cerr, {{"error", status["error"]}});
                return rc;
              }
              std::cout << "local cluster: " << printable(cluster.home()) << "/pg "
                        << (!cluster.exists() ? "(none; `examq up` creates it)"
                                              : status["local_cluster"]["running"].get_boolean() ? "(running)" : "(stopped)")
                        << "\n";
              if (auto pid = cluster.worker_pid()) {
                std::cout << "background worker: pid " << *pid << ", log "
                          << printable(detached_worker_log(cluster.home())) << "\n";
              }
              std::cout << "connection:    " << printable(status["connection"].get_string()) << "\n";
              if (rc != kExitOk) {
                std::cout << "database:      unreachable: " << printable(status["error"]["message"].get_string()) << "\n";
                return rc;
              }
              std::cout << "database:      " << printable(status["server"].get_string()) << "\n"
                        << "schema:        version " << status["schema_version"].as<int>() << " (this examq ships "
                        << status["binary_schema_version"].as<int>() << ")"
                        << (status["schema_version"].as<int>() < status["binary_schema_version"].as<int>()
                                ? "; run `examq migrate`"
                                : "")
                        << "\n"
                        << "cleanup:       "
                        << (!status["cleanup_extension"].is_null()
                                ? "examq_cleanup " + printable(status["cleanup_extension"].get_string()) +
                                      (status["cleanup_preloaded"].get_boolean() ? " (preloaded)" : " (not preloaded)")
                                : status["cleanup_extension_installed"].get_boolean() ? std::string("installed, not created")
                                                                                   : std::string("not installed"))
                        << "\n";
              if (const auto* jobs = status.find("jobs")) {
                std::cout << "jobs:          ";
                bool first = true;
                for (const char* s : {"pending", "processing", "completed", "failed", "cancelled"}) {
                  std::cout << (first ? "" : ", ") << cell(*jobs, s) << " " << s;
                  first = false;
                }
                std::cout << "\n";
                std::cout << "workers:       " << workers_line(status["workers"]) << "\n";
              }
              return rc;
            });
          }};
}

}  // namespace examq::cli
