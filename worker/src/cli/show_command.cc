#include "cli/show_command.h"

#include "cli/common_options.h"
#include "cli/id_lookup.h"
#include "cli/output.h"
#include "cli/review_summary.h"
#include "cli/run_at_note.h"
#include "pg/connection.h"

#include <tao/json/to_string.hpp>
#include <tao/json/value.hpp>

#include <iostream>
#include <memory>

namespace examq::cli {

namespace {

struct ShowOptions {
  std::string db;
  std::string id;
  bool json = false;
};

// The job row without its payload (plus run_in_seconds: how long a pending job still waits for
// its run_at), the payload without base64 images (only their count), and
// the paper it is about (title, files with sizes and checksums, questions stored).
const pg::Statement kShowJob{
    "examq_cli_show_job",
    "SELECT (to_jsonb(j) - 'payload') || jsonb_build_object("
    "  'run_in_seconds', CASE WHEN j.status = 'pending' AND j.run_at > now()"
    "                         THEN extract(epoch FROM j.run_at - now())::float8 END,"
    "  'payload', CASE WHEN jsonb_typeof(j.payload) = 'object' AND j.payload ? 'base64_images'"
    "                  THEN (j.payload - 'base64_images') || jsonb_build_object('base64_images_omitted',"
    "                       CASE WHEN jsonb_typeof(j.payload -> 'base64_images') = 'array'"
    "                            THEN jsonb_array_length(j.payload -> 'base64_images') END)"
    "                  ELSE j.payload END,"
    "  'exam_paper', (SELECT jsonb_build_object('id', p.id, 'title', p.title, 'page_count', p.page_count,"
    "      'file_url', p.file_url, 'syllabus_id', p.syllabus_id,"
    "      'files', (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', f.kind, 'filename', f.filename,"
    "                 'size_bytes', f.size_bytes, 'sha256', f.sha256) ORDER BY f.kind DESC), '[]')"
    "                FROM exam_paper_files f WHERE f.exam_paper_id = p.id),"
    "      'questions', (SELECT count(*) FROM questions q WHERE q.exam_paper_id = p.id))"
    "    FROM exam_papers p WHERE p.id = j.exam_paper_id))"
    " FROM processing_jobs j WHERE j.id = $1::uuid"};

// Every line of the human output is written by these two, which escape what the row holds.
void field(std::ostream& out, const std::string& label, const std::string& value) {
  if (value == "-" || value.empty()) return;
  out << label << std::string(label.size() < 15 ? 15 - label.size() : 1, ' ') << printable(value) << "\n";
}

void json_block(std::ostream& out, const std::string& label, const tao::json::value* v) {
  if (v == nullptr || v->is_null()) return;
  // JSON escapes C0 controls in strings, not DEL or C1.
  std::string text = printable_lines(tao::json::to_string(*v, 2)), indented = "  ";
  for (char c : text) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
  out << label << ":\n" << indented << "\n";
}

}  // namespace

Command add_show_command(CLI::App& app) {
  auto o = std::make_shared<ShowOptions>();
  CLI::App* sub = app.add_subcommand("show", "Everything about one job: state, timings, error details, result, paper");
  sub->add_option("JOB_ID", o->id, "The job: its id or a unique prefix (at least 4 hex digits)")
      ->required()
      ->check(id_prefix_validator());
  sub->add_flag("--json", o->json, "Print the job as one JSON object");
  add_database_option(*sub, o->db);
  sub->footer("Page images sent in the payload (base64_images) are never printed, only counted.");
  return {sub, [o]() {
            return run_reporting("show", o->json, [&]() {
              pg::Connection conn(resolve_database(o->db), "examq show");
              const std::string id = resolve_job_id(conn, o->id);
              pg::Result r = conn.exec(kShowJob, id);
              if (r.rows() == 0) throw std::runtime_error("no job " + id);
              tao::json::value job = r.get<tao::json::value>(0, 0);
              if (o->json) {
                print_json(std::cout, job);
                return kExitOk;
              }
              auto& out = std::cout;
              field(out, "job", cell(job, "id"));
              field(out, "type", cell(job, "job_type"));
              field(out, "status", cell(job, "status") + (job.at("cancel_requested").get_boolean() ? " (cancel requested)" : ""));
              field(out, "progress", cell(job, "progress_percentage") + "%  " + cell(job, "current_step"));
              field(out, "priority", cell(job, "priority"));
              field(out, "retries", cell(job, "retry_count") + " of " + cell(job, "max_retries") + " (attempts: " +
                                        cell(job, "attempts") + ")");
              field(out, "created", cell(job, "created_at"));
              const std::string waiting = run_at_note(job);
              field(out, "run at", cell(job, "run_at") + (waiting.empty() ? "" : "  (" + waiting + ")"));
              field(out, "started", cell(job, "started_at"));
              field(out, "completed", cell(job, "completed_at"));
              field(out, "locked by", cell(job, "locked_by"));
              field(out, "locked until", cell(job, "locked_until"));
              field(out, "error", cell(job, "error_message"));
              if (const auto* paper = job.find("exam_paper"); paper != nullptr && paper->is_object()) {
                field(out, "exam paper", cell(*paper, "id") + "  " + cell(*paper, "title"));
                field(out, "pages", cell(*paper, "page_count"));
                for (const auto& f : paper->at("files").get_array()) {
                  field(out, "file", cell(f, "kind") + ": " + cell(f, "filename") + " (" + cell(f, "size_bytes") +
                                         " bytes, sha256 " + cell(f, "sha256").substr(0, 16) + "…)");
                }
                field(out, "questions", cell(*paper, "questions"));
              }
              // The review before the raw result: it is what tells whether the rows can be trusted.
              const tao::json::value* result = job.find("result");
              const tao::json::value* review = result != nullptr && result->is_object() ? result->find("review") : nullptr;
              field(out, "review", review_headline(review));
              for (const auto& detail : review_details(review)) out << std::string(15, ' ') << "- " << printable(detail) << "\n";
              json_block(out, "error details", job.find("error_details"));
              json_block(out, "payload", job.find("payload"));
              json_block(out, "result", job.find("result"));
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
