#include "cli/jobs_command.h"

#include "cli/common_options.h"
#include "cli/output.h"
#include "cli/review_summary.h"
#include "pg/connection.h"

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>

namespace examq::cli {

namespace {

struct JobsOptions {
  std::string db;
  std::string status;
  int limit = 20;
  bool json = false;
};

// One object per job, newest first; everything but payload and result, which `show` gives, except
// the result's review verdict (null for jobs without one): a paper that needs review must show in
// the list, not only in `show`.
const pg::Statement kListJobs{
    "examq_cli_list_jobs",
    "SELECT coalesce(jsonb_agg(j ORDER BY j.created_at DESC, j.id), '[]') FROM ("
    " SELECT id, job_type, status, priority, exam_paper_id, progress_percentage, current_step, retry_count,"
    "  max_retries, attempts, error_message, locked_by, created_at, started_at, completed_at,"
    "  extract(epoch FROM now() - created_at)::float8 AS age_seconds,"
    "  result -> 'review' -> 'needed' AS review_needed, result -> 'review' -> 'reasons' AS review_reasons"
    " FROM processing_jobs WHERE $1::text IS NULL OR status = $1"
    " ORDER BY created_at DESC, id LIMIT $2::integer) j"};

}  // namespace

Command add_jobs_command(CLI::App& app) {
  auto o = std::make_shared<JobsOptions>();
  CLI::App* sub = app.add_subcommand("jobs", "List jobs, newest first");
  sub->add_option("--status", o->status, "Only jobs in this state")
      ->check(CLI::IsMember({"pending", "processing", "completed", "failed", "cancelled"}));
  sub->add_option("--limit", o->limit, "At most this many")->capture_default_str()->check(CLI::Range(1, 100000));
  sub->add_flag("--json", o->json, "Print a JSON array of jobs");
  add_database_option(*sub, o->db);
  return {sub, [o]() {
            return run_reporting("jobs", o->json, [&]() {
              pg::Connection conn(resolve_database(o->db), "examq jobs");
              tao::json::value jobs =
                  conn.exec(kListJobs, o->status.empty() ? pg::Param() : pg::Param(o->status), o->limit)
                      .get<tao::json::value>(0, 0);
              if (o->json) {
                print_json(std::cout, jobs);
                return kExitOk;
              }
              if (jobs.get_array().empty()) {
                std::cout << "no jobs" << (o->status.empty() ? "" : " " + o->status) << "\n";
                return kExitOk;
              }
              Table table({"ID", "TYPE", "STATUS", "PROGRESS", "RETRIES", "AGE", "REVIEW", "STEP"});
              for (const auto& j : jobs.get_array()) {
                std::string step = cell(j, "current_step");
                if (cell(j, "status") == "failed" && cell(j, "error_message") != "-") step = cell(j, "error_message");
                const tao::json::value review = {{"needed", j.at("review_needed")}, {"reasons", j.at("review_reasons")}};
                if (review_cell(&review) == "needed") step += " (review " + review_headline(&review) + ")";
                table.add({cell(j, "id"), cell(j, "job_type"), cell(j, "status"), cell(j, "progress_percentage") + "%",
                           cell(j, "retry_count") + "/" + cell(j, "max_retries"),
                           format_age(j.at("age_seconds").as<double>()), review_cell(&review), step});
              }
              table.print(std::cout);
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
