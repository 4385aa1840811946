#include "cli/submit_command.h"

#include "cli/common_options.h"
#include "cli/output.h"
#include "cli/watch_command.h"
#include "pdf/render_pool.h"
#include "pg/connection.h"
#include "pg/error.h"
#include "pipeline/bytea.h"

#include <unistd.h>

#include <tao/json/value.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace examq::cli {

namespace {

struct SubmitOptions {
  std::string db;
  std::vector<std::string> files;
  std::string title;
  std::string priority = "normal";
  std::string syllabus;
  std::string insert;
  bool wait = false;
  bool json = false;
};

// high 10, normal 0, low -10, or an integer in -1000..1000.
int parse_priority(const std::string& text) {
  if (text == "high") return 10;
  if (text == "normal") return 0;
  if (text == "low") return -10;
  std::size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || value < -1000 || value > 1000)
    throw std::invalid_argument("--priority must be high, normal, low or an integer in -1000..1000, not '" + text + "'");
  return value;
}

// A file the user named, read and checked to be a PDF the sandboxed renderer can open.
struct CheckedPdf {
  std::string path, filename, bytes;
  int pages = 0;
};

CheckedPdf check_pdf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  CheckedPdf pdf{path, std::filesystem::path(path).filename().string(), buf.str(), 0};
  pdf::RenderOptions options;
  options.read_metadata = false;
  options.max_processes = 1;
  try {
    pdf.pages = pdf::inspect_pdf(pdf.bytes, options).page_count;
  } catch (const pdf::PdfError& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return pdf;
}

}  // namespace

Command add_submit_command(CLI::App& app) {
  auto o = std::make_shared<SubmitOptions>();
  CLI::App* sub = app.add_subcommand("submit", "Upload exam-paper PDFs: each becomes an exam paper and its processing job");
  sub->add_option("FILE", o->files, "PDF files; several files make several jobs")->required()->type_name("FILE.pdf");
  sub->add_option("--title", o->title, "Title of the paper (default: the file name)");
  sub->add_option("--priority", o->priority, "high (10), normal (0), low (-10), or -1000..1000")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            try {
              parse_priority(v);
              return {};
            } catch (const std::invalid_argument& e) {
              return e.what();
            }
          },
          "PRIORITY", "priority"));
  sub->add_option("--syllabus", o->syllabus, "Syllabus id, for tagging questions with its topics")->check(uuid_validator());
  sub->add_option("--insert", o->insert, "An insert (resource booklet) PDF stored with each paper")->type_name("FILE.pdf");
  sub->add_flag("--wait", o->wait, "Follow the jobs live until they settle (exit 1 if any fails)");
  sub->add_flag("--json", o->json,
                "Print the submissions as JSON (with --wait, their final state; progress goes to stderr as watch --json's "
                "events)");
  add_database_option(*sub, o->db);
  sub->footer(
      "Every file is checked to be a readable PDF (in the sandboxed renderer) before anything is sent: a missing\n"
      "file or a non-PDF is an error (exit 1) and nothing is submitted. Each paper, its file(s) and its job are\n"
      "created in one transaction (submit_exam_paper); the job id and the estimated time are printed at once.");
  return {sub, [o]() {
            return run_reporting("submit", o->json, [&]() {
              const int priority = parse_priority(o->priority);
              std::vector<CheckedPdf> papers;
              for (const std::string& f : o->files) papers.push_back(check_pdf(f));
              std::optional<CheckedPdf> insert;
              if (!o->insert.empty()) insert = check_pdf(o->insert);

              pg::Connection conn(resolve_database(o->db), "examq submit");
              tao::json::value submitted = tao::json::empty_array;
              std::vector<std::string> job_ids;
              int rc = kExitOk;
              for (const CheckedPdf& paper : papers) {
                std::string title = o->title;
                if (title.empty()) title = std::filesystem::path(paper.filename).stem().string();
                try {
                  pg::Result r = conn.exec(
                      "SELECT submit_exam_paper($1, $2, $3::bytea, $4::integer, $5::uuid, $6, $7::bytea)", title,
                      paper.filename, pipeline::to_bytea_hex(paper.bytes), priority,
                      o->syllabus.empty() ? pg::Param() : pg::Param(o->syllabus),
                      insert ? pg::Param(insert->filename) : pg::Param(),
                      insert ? pg::Param(pipeline::to_bytea_hex(insert->bytes)) : pg::Param());
                  // submit_exam_paper's answer (camelCase, the SQL API's) in the command line's style.
                  tao::json::value answer = snake_case_keys(r.get<tao::json::value>(0, 0));
                  answer["file"] = paper.path;
                  answer["pages"] = paper.pages;
                  job_ids.push_back(answer.at("job_id").get_string());
                  if (!o->json) {
                    std::cout << printable(paper.path) << ": job " << cell(answer, "job_id") << ", exam paper "
                              << cell(answer, "exam_paper_id") << ", " << paper.pages << " page"
                              << (paper.pages == 1 ? "" : "s") << ", estimated " << cell(answer, "estimated_time")
                              << " s\n";
                    std::cout.flush();
                  }
                  submitted.push_back(std::move(answer));
                } catch (const pg::Error& e) {
                  // One refused paper (e.g. 22023) does not stop the others; the exit code says so.
                  tao::json::value error = error_json("submit", e);
                  error["error"]["file"] = paper.path;
                  if (o->json) {
                    print_json_line(std::cerr, error);
                  } else {
                    std::cerr << "examq submit: " << printable(paper.path) << ": " << printable(e.primary()) << "\n";
                  }
                  submitted.push_back({{"file", paper.path}, {"success", false}, {"error", error.at("error")}});
                  rc = kExitFailure;
                }
              }
              if (o->wait && !job_ids.empty()) {
                std::ostream& progress = o->json ? std::cerr : std::cout;
                const int fd = o->json ? STDERR_FILENO : STDOUT_FILENO;
                const WatchStyle style = o->json ? WatchStyle::json : is_terminal(fd) ? WatchStyle::bars : WatchStyle::lines;
                int watched = watch_jobs(resolve_database(o->db), job_ids, progress, style, terminal_columns(fd), "submit");
                if (watched != kExitOk) rc = watched;
                if (o->json) {
                  for (auto& s : submitted.get_array()) {
                    if (const auto* id = s.find("job_id")) {
                      pg::Result r = conn.exec(
                          "SELECT status, error_message, result FROM processing_jobs WHERE id = $1::uuid", id->get_string());
                      if (r.rows() == 1) {
                        s["status"] = r.get<std::string>(0, 0);
                        s["error_message"] = r.is_null(0, 1) ? tao::json::value(tao::json::null)
                                                            : tao::json::value(r.get<std::string>(0, 1));
                        s["result"] = r.is_null(0, 2) ? tao::json::value(tao::json::null) : r.get<tao::json::value>(0, 2);
                      }
                    }
                  }
                }
              }
              if (o->json) print_json(std::cout, submitted);
              return rc;
            });
          }};
}

}  // namespace examq::cli
