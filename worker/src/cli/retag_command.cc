#include "cli/retag_command.h"

#include "cli/common_options.h"
#include "cli/id_lookup.h"
#include "cli/output.h"
#include "cli/submit_command.h"
#include "cli/watch_command.h"
#include "pg/connection.h"
#include "pg/error.h"

#include <unistd.h>

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>

namespace examq::cli {

namespace {

struct RetagOptions {
  std::string db;
  std::string paper;
  std::string syllabus;
  std::string priority = "normal";
  bool wait = false;
  bool json = false;
};

const pg::Statement kRetag{"examq_cli_retag", "SELECT examq_retag_exam_paper($1::uuid, $2::uuid, $3::integer)::text"};
const pg::Statement kJob{"examq_cli_retag_job",
                         "SELECT status, error_message, result, priority FROM processing_jobs WHERE id = $1::uuid"};

}  // namespace

Command add_retag_command(CLI::App& app) {
  auto o = std::make_shared<RetagOptions>();
  CLI::App* sub = app.add_subcommand("retag", "Re-tag an exam paper's questions with a syllabus's topics (a retag-questions job)");
  sub->add_option("PAPER", o->paper, "The exam paper: its id or a unique prefix (at least 4 hex digits)")
      ->required()
      ->check(id_prefix_validator());
  sub->add_option("--syllabus", o->syllabus, "The syllabus id (syllabus_topics.syllabus_id)")->required()->check(uuid_validator());
  sub->add_option("--priority", o->priority, "high (10), normal (0), low (-10), or -1000..1000")
      ->capture_default_str()
      ->check(priority_validator());
  sub->add_flag("--wait", o->wait, "Follow the job live until it settles (exit 1 if it fails)");
  sub->add_flag("--json", o->json,
                "Print the job as JSON (with --wait, its final state; progress goes to stderr as watch --json's events)");
  add_database_option(*sub, o->db);
  sub->footer(
      "Every question of the paper gets the syllabus topics that fit it (none when none does), replacing its\n"
      "tags in one transaction when the job completes (docs/retag.md). Asking again while the same retag is\n"
      "pending or running prints that job. Exit 1 when the paper does not exist, has no questions yet or is\n"
      "being processed, or the syllabus has no topics.");
  return {sub, [o]() {
            return run_reporting("retag", o->json, [&]() {
              const int priority = parse_priority(o->priority);
              pg::Connection conn(resolve_database(o->db), "examq retag");
              const std::string paper = resolve_exam_paper_id(conn, o->paper);
              const std::string job = conn.exec(kRetag, paper, o->syllabus, priority).get<std::string>(0, 0);
              if (!o->json) {
                std::cout << "job " << job << ": retag exam paper " << paper << " with syllabus " << o->syllabus << "\n";
                std::cout.flush();
              }
              int rc = kExitOk;
              if (o->wait) {
                std::ostream& progress = o->json ? std::cerr : std::cout;
                const int fd = o->json ? STDERR_FILENO : STDOUT_FILENO;
                const WatchStyle style = o->json ? WatchStyle::json : is_terminal(fd) ? WatchStyle::bars : WatchStyle::lines;
                rc = watch_jobs(resolve_database(o->db), {job}, progress, style, terminal_columns(fd), "retag");
              }
              if (o->json) {
                pg::Result r = conn.exec(kJob, job);
                tao::json::value out = {{"job_id", job}, {"exam_paper_id", paper}, {"syllabus_id", o->syllabus}};
                if (r.rows() == 1) {
                  out["priority"] = r.get<int>(0, 3);
                  out["status"] = r.get<std::string>(0, 0);
                  out["error_message"] =
                      r.is_null(0, 1) ? tao::json::value(tao::json::null) : tao::json::value(r.get<std::string>(0, 1));
                  out["result"] = r.is_null(0, 2) ? tao::json::value(tao::json::null) : r.get<tao::json::value>(0, 2);
                }
                print_json(std::cout, out);
              }
              return rc;
            });
          }};
}

}  // namespace examq::cli
