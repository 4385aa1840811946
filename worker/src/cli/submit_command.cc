#include "cli/submit_command.h"

#include "cli/common_options.h"
#include "cli/output.h"
#include "cli/watch_command.h"
#include "pdf/render_pool.h"
#include "pg/connection.h"
#include "pg/error.h"
#include "pg/transaction.h"
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
    // No "--priority" here: CLI11 prefixes the option's name to what a check returns.
    throw std::invalid_argument("must be high, normal, low or an integer in -1000..1000, not '" + text + "'");
  return value;
}

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


// A file the user named, read and checked to be a PDF the sandboxed renderer can open.
struct CheckedPdf {
  std::string path, filename, bytes;
  int pages = 0;
};

CheckedPdf check_pdf(const std::string& path) {
  // A directory opens as a stream that reads nothing, which the renderer calls an empty file.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw std::runtime_error(path + ": is a directory, not a PDF file");
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

// Every file checked before anything is sent, and every bad one reported (on stderr), not only
// the first: throws after the last, naming how many, when any is bad.
// Every bad file is reported, then nothing is submitted: in text one stderr line each; with
// --json (one error object on stderr) the files' problems are the object's message.
std::vector<CheckedPdf> check_pdfs(const std::vector<std::string>& paths, const std::string& what, bool json) {
  std::vector<CheckedPdf> pdfs;
  int bad = 0;
  std::string problems;
  for (const std::string& path : paths) {
    try {
      pdfs.push_back(check_pdf(path));
    } catch (const std::runtime_error& e) {
      if (json) {
        problems += std::string(e.what()) + "; ";
      } else {
        std::cerr << "examq submit: " << printable(e.what()) << "\n";
      }
      ++bad;
    }
  }
  if (bad > 0) {
    throw std::runtime_error(problems + (bad == 1 && paths.size() == 1
                                             ? "nothing submitted"
                                             : std::to_string(bad) + " of " + std::to_string(paths.size()) + " " +
                                                   what + " cannot be submitted: nothing submitted"));
  }
  return pdfs;
}

}  // namespace

CLI::Validator priority_validator() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        try {
          parse_priority(v);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "PRIORITY", "priority");
}

Command add_submit_command(CLI::App& app) {
  auto o = std::make_shared<SubmitOptions>();
  CLI::App* sub = app.add_subcommand("submit", "Upload exam-paper PDFs: each becomes an exam paper and its processing job");
  sub->add_option("FILE", o->files, "PDF files; several files make several jobs")->required()->type_name("FILE.pdf");
  sub->add_option("--title", o->title,
                 "Title of the paper; given once, it applies to every file (default: each file's name without its "
                 "extension: paper for paper.pdf)");
  sub->add_option("--priority", o->priority, "high (10), normal (0), low (-10), or -1000..1000")
      ->capture_default_str()
      ->check(priority_validator());
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
      "created by submit_exam_paper, all the papers of one submit in one transaction as one batch (examq jobs --batch);\n"
      "the job ids and estimated times are printed once they are committed.");
  return {sub, [o]() {
            return run_reporting("submit", o->json, [&]() {
              const int priority = parse_priority(o->priority);
              std::vector<std::string> paths = o->files;
              if (!o->insert.empty()) paths.push_back(o->insert);
              std::vector<CheckedPdf> papers = check_pdfs(paths, "files", o->json);
              std::optional<CheckedPdf> insert;
              if (!o->insert.empty()) {
                insert = papers.back();
                papers.pop_back();
              }

              pg::Connection conn(resolve_database(o->db), "examq submit");
              // The papers of one submit are one batch (sql/0010), created in one transaction:
              // no worker sees a job before all are in, so the batch cannot settle (and notify)
              // half-submitted. A paper the database refuses (e.g. 22023) is rolled back to its
              // savepoint and does not stop the others; the exit code says so. Lines are printed
              // after the commit, so an id printed is an id that exists.
              pg::Transaction tx(conn);
              // Labelled by its first file (cut by characters, under the label's 200).
              const std::string batch =
                  conn.exec("SELECT examq_begin_batch(left($1, 150) || CASE WHEN $2::integer > 1"
                            " THEN format(' and %s more', $2::integer - 1) ELSE '' END)::text",
                            papers.front().filename, static_cast<int>(papers.size()))
                      .get<std::string>(0, 0);
              tao::json::value submitted = tao::json::empty_array;
              std::vector<std::string> job_ids;
              std::ostringstream lines;
              int rc = kExitOk;
              for (const CheckedPdf& paper : papers) {
                std::string title = o->title;
                if (title.empty()) title = std::filesystem::path(paper.filename).stem().string();
                conn.exec("SAVEPOINT examq_submit_paper");
                try {
                  pg::Result r = conn.exec(
                      "SELECT submit_exam_paper($1, $2, $3::bytea, $4::integer, $5::uuid, $6, $7::bytea, $8::uuid, $9::integer)",
                      title, paper.filename, pipeline::to_bytea_hex(paper.bytes), priority,
                      o->syllabus.empty() ? pg::Param() : pg::Param(o->syllabus),
                      insert ? pg::Param(insert->filename) : pg::Param(),
                      insert ? pg::Param(pipeline::to_bytea_hex(insert->bytes)) : pg::Param(), batch,
                      paper.pages > 0 ? pg::Param(std::to_string(paper.pages)) : pg::Param());
                  conn.exec("RELEASE SAVEPOINT examq_submit_paper");
                  // submit_exam_paper's answer (camelCase, the SQL API's) in the command line's style.
                  tao::json::value answer = snake_case_keys(r.get<tao::json::value>(0, 0));
                  answer["file"] = paper.path;
                  answer["pages"] = paper.pages;
                  job_ids.push_back(answer.at("job_id").get_string());
                  lines << printable(paper.path) << ": job " << cell(answer, "job_id") << ", exam paper "
                        << cell(answer, "exam_paper_id") << ", " << paper.pages << " page"
                        << (paper.pages == 1 ? "" : "s") << ", estimated " << cell(answer, "estimated_time") << " s\n";
                  submitted.push_back(std::move(answer));
                } catch (const pg::Error& e) {
                  if (e.connection_lost()) throw;
                  conn.exec("ROLLBACK TO SAVEPOINT examq_submit_paper");
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
              if (job_ids.empty()) {
                tx.rollback();  // no empty batch
              } else {
                tx.commit();
              }
              if (!o->json) {
                std::cout << lines.str();
                if (job_ids.size() > 1)
                  std::cout << "batch " << batch << ": `examq jobs --batch " << batch.substr(0, 8) << "` lists them\n";
                std::cout.flush();
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
