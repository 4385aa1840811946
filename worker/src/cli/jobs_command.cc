#include "cli/jobs_command.h"

#include "cli/common_options.h"
#include "cli/id_lookup.h"
#include "cli/output.h"
#include "cli/review_summary.h"
#include "cli/run_at_note.h"
#include "pg/connection.h"
#include "pg/error.h"
#include "util/duration.h"

#include <tao/json/value.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

namespace examq::cli {

namespace {

struct JobsOptions {
  std::string db;
  std::string status;
  std::string paper;
  std::string title;
  std::string batch;
  std::string since;
  int limit = 20;
  bool json = false;
};

// One object per job, newest first; everything but payload and result, which `show` gives, except
// the result's review verdict (null for jobs without one): a paper that needs review must show in
// the list, not only in `show`. With the paper's title and file name, the batch it was submitted
// in, and how long a pending job still waits for its run_at.
// $1 status, $2 limit, $3 paper id, $4 title substring (any case), $5 batch (whole or prefix),
// $6 created within this interval, $7 created at or after this time.
const pg::Statement kListJobs{
    "examq_cli_list_jobs",
    "SELECT coalesce(jsonb_agg(j ORDER BY j.created_at DESC, j.id), '[]') FROM ("
    " SELECT p.id, p.job_type, p.status, p.priority, p.exam_paper_id, p.progress_percentage, p.current_step,"
    "  p.retry_count, p.max_retries, p.attempts, p.error_message, p.locked_by, p.created_at, p.started_at,"
    "  p.completed_at, p.run_at,"
    "  CASE WHEN p.status = 'pending' AND p.run_at > now() THEN extract(epoch FROM p.run_at - now())::float8"
    "  END AS run_in_seconds,"
    "  extract(epoch FROM now() - p.created_at)::float8 AS age_seconds,"
    "  p.result -> 'review' -> 'needed' AS review_needed, p.result -> 'review' -> 'reasons' AS review_reasons,"
    "  e.title, f.filename, p.batch_id::text AS batch"
    " FROM processing_jobs p"
    " LEFT JOIN exam_papers e ON e.id = p.exam_paper_id"
    " LEFT JOIN exam_paper_files f ON f.exam_paper_id = p.exam_paper_id AND f.kind = 'paper'"
    " WHERE ($1::text IS NULL OR p.status = $1)"
    "  AND ($3::uuid IS NULL OR p.exam_paper_id = $3::uuid)"
    "  AND ($4::text IS NULL OR strpos(lower(e.title), lower($4)) > 0)"
    "  AND ($5::text IS NULL OR p.batch_id::text = lower($5) OR starts_with(p.batch_id::text, lower($5)))"
    "  AND ($6::interval IS NULL OR p.created_at >= now() - $6::interval)"
    "  AND ($7::timestamptz IS NULL OR p.created_at >= $7::timestamptz)"
    " ORDER BY p.created_at DESC, p.id LIMIT $2::integer) j"};

// The paper a job is about, for the table: its file name, and its title when the title is not
// just the file name without its extension (submit's default).
std::string paper_cell(const tao::json::value& job) {
  const std::string title = cell(job, "title"), file = cell(job, "filename");
  if (file == "-") return title;
  if (title == "-" || title == std::filesystem::path(file).stem().string() || title == file) return file;
  return title + " (" + file + ")";
}

pg::Param optional(const std::string& value) { return value.empty() ? pg::Param() : pg::Param(value); }

}  // namespace

Command add_jobs_command(CLI::App& app) {
  auto o = std::make_shared<JobsOptions>();
  CLI::App* sub = app.add_subcommand("jobs", "List jobs, newest first");
  sub->add_option("--status", o->status, "Only jobs in this state")
      ->check(CLI::IsMember({"pending", "processing", "completed", "failed", "cancelled"}));
  sub->add_option("--paper", o->paper, "Only the jobs of this exam paper (its id or a unique prefix)")
      ->check(id_prefix_validator());
  sub->add_option("--title", o->title, "Only jobs whose paper's title contains this text (any case)");
  sub->add_option("--batch", o->batch, "Only the jobs one `examq submit` created (the batch it printed, or a prefix)")
      ->check(id_prefix_validator());
  sub->add_option("--since", o->since, "Only jobs created within this duration (\"2h\") or since this time (\"2026-05-01 12:00\")");
  sub->add_option("--limit", o->limit, "At most this many")->capture_default_str()->check(CLI::Range(1, 100000));
  sub->add_flag("--json", o->json, "Print a JSON array of jobs");
  add_database_option(*sub, o->db);
  sub->footer("Filters combine (all must hold). A pending job waiting for its run_at says so: \"pending, retry in 35 s\".");
  return {sub, [o]() {
            return run_reporting("jobs", o->json, [&]() {
              // --since: a duration, else a time PostgreSQL reads (checked there).
              pg::Param since_interval, since_time;
              if (!o->since.empty()) {
                try {
                  since_interval = util::to_pg_interval(util::parse_duration(o->since));
                } catch (const std::invalid_argument&) {
                  since_time = o->since;
                }
              }
              pg::Connection conn(resolve_database(o->db), "examq jobs");
              const pg::Param paper = o->paper.empty() ? pg::Param() : pg::Param(resolve_exam_paper_id(conn, o->paper));
              tao::json::value jobs;
              try {
                jobs = conn.exec(kListJobs, optional(o->status), o->limit, paper, optional(o->title), optional(o->batch),
                                 since_interval, since_time)
                           .get<tao::json::value>(0, 0);
              } catch (const pg::Error& e) {
                // Class 22 here can only be the --since text that was not a duration either.
                if (since_time && e.sqlstate().rfind("22", 0) == 0)
                  throw std::invalid_argument("--since: \"" + o->since + "\" is neither a duration (\"2h\", \"30m\") nor a time (\"2026-05-01 12:00\")");
                throw;
              }
              if (o->json) {
                print_json(std::cout, jobs);
                return kExitOk;
              }
              if (jobs.get_array().empty()) {
                std::cout << "no jobs" << (o->status.empty() ? "" : " " + o->status) << "\n";
                return kExitOk;
              }
              Table table({"ID", "TYPE", "STATUS", "PROGRESS", "RETRIES", "AGE", "REVIEW", "PAPER", "STEP"});
              for (const auto& j : jobs.get_array()) {
                std::string step = cell(j, "current_step");
                if (cell(j, "status") == "failed" && cell(j, "error_message") != "-") step = cell(j, "error_message");
                const tao::json::value review = {{"needed", j.at("review_needed")}, {"reasons", j.at("review_reasons")}};
                if (review_cell(&review) == "needed") step += " (review " + review_headline(&review) + ")";
                const std::string waiting = run_at_note(j);
                table.add({cell(j, "id"), cell(j, "job_type"), cell(j, "status") + (waiting.empty() ? "" : ", " + waiting),
                           cell(j, "progress_percentage") + "%", cell(j, "retry_count") + "/" + cell(j, "max_retries"),
                           format_age(j.at("age_seconds").as<double>()), review_cell(&review), paper_cell(j), step});
              }
              table.print(std::cout);
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
