#include "cli/retry_command.h"

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

struct RetryOptions {
  std::string db;
  std::string id;
  bool json = false;
};

const pg::Statement kRetry{"examq_cli_retry_job",
                           "SELECT to_jsonb(j) - 'payload' - 'result' FROM retry_processing_job($1::uuid) j"};

}  // namespace

Command add_retry_command(CLI::App& app) {
  auto o = std::make_shared<RetryOptions>();
  CLI::App* sub = app.add_subcommand("retry", "Put a failed or cancelled job back in the queue, retries reset");
  sub->add_option("JOB_ID", o->id, "The job: its id or a unique prefix (at least 4 hex digits)")
      ->required()
      ->check(id_prefix_validator());
  sub->add_flag("--json", o->json, "Print the job's new state as JSON");
  add_database_option(*sub, o->db);
  sub->footer("Exit 1 when the job does not exist or is not failed or cancelled.");
  return {sub, [o]() {
            return run_reporting("retry", o->json, [&]() {
              pg::Connection conn(resolve_database(o->db), "examq retry");
              const std::string id = resolve_job_id(conn, o->id);
              tao::json::value job;
              try {
                job = conn.exec(kRetry, id).get<tao::json::value>(0, 0);
              } catch (const pg::Error& e) {
                if (!e.not_found()) throw;
                throw std::runtime_error("no job " + id);
              }
              if (o->json) {
                print_json(std::cout, job);
              } else {
                std::cout << "job " << cell(job, "id") << " is " << cell(job, "status") << " again\n";
              }
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
