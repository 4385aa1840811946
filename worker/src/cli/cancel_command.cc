#include "cli/cancel_command.h"

#include "cli/common_options.h"
#include "cli/id_lookup.h"
#include "cli/output.h"
#include "pg/connection.h"
#include "pg/error.h"

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>

namespace examq::cli {

namespace {

struct CancelOptions {
  std::string db;
  std::string id;
  bool json = false;
};

const pg::Statement kCancel{"examq_cli_cancel_job",
                            "SELECT to_jsonb(j) - 'payload' - 'result' FROM cancel_processing_job($1::uuid) j"};

}  // namespace

Command add_cancel_command(CLI::App& app) {
  auto o = std::make_shared<CancelOptions>();
  CLI::App* sub = app.add_subcommand("cancel", "Cancel a job: a pending one at once, a running one at its next progress report");
  sub->add_option("JOB_ID", o->id, "The job: its id or a unique prefix (at least 4 hex digits)")
      ->required()
      ->check(id_prefix_validator());
  sub->add_flag("--json", o->json, "Print the job's new state as JSON");
  add_database_option(*sub, o->db);
  sub->footer(
      "A running job is marked cancel_requested and stops when its worker next reports progress; follow it\n"
      "with `examq watch JOB_ID`. Exit 1 when the job does not exist or has already finished.");
  return {sub, [o]() {
            return run_reporting("cancel", o->json, [&]() {
              pg::Connection conn(resolve_database(o->db), "examq cancel");
              const std::string id = resolve_job_id(conn, o->id);
              tao::json::value job;
              try {
                job = conn.exec(kCancel, id).get<tao::json::value>(0, 0);
              } catch (const pg::Error& e) {
                if (!e.not_found()) throw;
                throw std::runtime_error("no job " + id);
              }
              if (o->json) {
                print_json(std::cout, job);
              } else if (cell(job, "status") == "cancelled") {
                std::cout << "job " << cell(job, "id") << " cancelled\n";
              } else {
                std::cout << "job " << cell(job, "id") << " is " << cell(job, "status")
                          << ": cancellation requested; it stops at its next progress report\n";
              }
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
