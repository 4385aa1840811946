#define BOOST_TEST_MODULE pipeline
// The process-exam-paper job end to end: a real worker process turns submitted PDFs into saved
// questions, with the seed's progress steps, stored pages, clear failures and no duplicates.
#include "exam_paper.h"
#include "extract/paper_review.h"
#include "fake_http_server.h"
#include "job_watcher.h"
#include "paper_submission.h"
#include "pg/listener.h"
#include "scanned_paper.h"
#include "test_database.h"
#include "worker_process.h"

#include <podofo/podofo.h>
#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <boost/test/unit_test.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

bool all_settled(pg::Connection& c) {
  return c.exec("SELECT count(*) = 0 FROM processing_jobs WHERE status IN ('pending', 'processing')").get<bool>(0, 0);
}

// Environment for the next worker started (WorkerProcess inherits ours); restored on scope exit.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::string>& vars) {
    for (auto& [k, v] : vars) {
      const char* old = getenv(k.c_str());
      saved_[k] = old ? std::optional<std::string>(old) : std::nullopt;
      setenv(k.c_str(), v.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (auto& [k, v] : saved_) {
      if (v) setenv(k.c_str(), v->c_str(), 1); else unsetenv(k.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// Compares the saved rows of a paper with what the fixture generator drew.
void check_questions(pg::Connection& c, const std::string& paper_id, const fixtures::FixturePaper& paper) {
  auto r = c.exec(
      "SELECT question_number, coalesce(parent_number, ''), position, marks, page_number, text, source "
      "FROM questions WHERE exam_paper_id = $1::uuid ORDER BY position",
      paper_id);
  BOOST_REQUIRE_EQUAL(r.rows(), static_cast<int>(paper.expected.size()));
  for (int i = 0; i < r.rows(); ++i) {
    const auto& want = paper.expected[static_cast<std::size_t>(i)];
    BOOST_TEST_CONTEXT(paper.name << " row " << i + 1 << " (" << want.number << ")") {
      BOOST_TEST(r.get<std::string>(i, 0) == want.number);
      BOOST_TEST(r.get<std::string>(i, 1) == want.parent_number);
      BOOST_TEST(r.get<int>(i, 2) == i + 1);
      BOOST_TEST(r.get<std::optional<int>>(i, 3).value_or(-1) == want.marks.value_or(-1));
      BOOST_TEST(r.get<int>(i, 4) == want.page_number);
      BOOST_TEST(r.get<std::string>(i, 6) == "text");
      // The wording as drawn (first line is enough to tell the question apart).
      std::string first_line = want.text.substr(0, want.text.find('\n'));
      BOOST_TEST(r.get<std::string>(i, 5).find(first_line) != std::string::npos);
      BOOST_TEST(r.get<std::string>(i, 5).find("....") == std::string::npos);
    }
  }
}

std::string encrypted_pdf() {
  PoDoFo::PdfMemDocument doc;
  PoDoFo::PdfPage* page = doc.CreatePage(PoDoFo::PdfPage::CreateStandardPageSize(PoDoFo::ePdfPageSize_A4));
  PoDoFo::PdfPainter painter;
  painter.SetPage(page);
  painter.SetFont(doc.CreateFont("Helvetica"));
  painter.DrawText(56, 700, "1 Secret question [2]");
  painter.FinishPage();
  doc.SetEncrypted("s3cret", "owner-s3cret", PoDoFo::PdfEncrypt::ePdfPermissions_Print,
                   PoDoFo::PdfEncrypt::ePdfEncryptAlgorithm_AESV3, PoDoFo::PdfEncrypt::ePdfKeyLength_256);
  PoDoFo::PdfRefCountedBuffer buffer;
  PoDoFo::PdfOutputDevice device(&buffer);
  doc.Write(&device);
  return std::string(buffer.GetBuffer(), buffer.GetSize());
}

// A one-page PDF of prose: a text layer with no question in it.
std::string prose_pdf() {
  PoDoFo::PdfMemDocument doc;
  PoDoFo::PdfPage* page = doc.CreatePage(PoDoFo::PdfPage::CreateStandardPageSize(PoDoFo::ePdfPageSize_A4));
  PoDoFo::PdfPainter painter;
  painter.SetPage(page);
  painter.SetFont(doc.CreateFont("Helvetica"));
  for (int line = 0; line < 20; ++line) {
    painter.DrawText(56, 780 - 16 * line, "These revision notes on forces and motion were written by a student.");
  }
  painter.FinishPage();
  PoDoFo::PdfRefCountedBuffer buffer;
  PoDoFo::PdfOutputDevice device(&buffer);
  doc.Write(&device);
  return std::string(buffer.GetBuffer(), buffer.GetSize());
}

tao::json::value job_review(pg::Connection& c, const std::string& job_id) {
  return c.exec("SELECT result -> 'review' FROM processing_jobs WHERE id = $1::uuid", job_id).get<tao::json::value>(0, 0);
}

std::vector<std::string> reasons_of(const tao::json::value& review) {
  std::vector<std::string> out;
  for (const auto& r : review.at("reasons").get_array()) out.push_back(r.get_string());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sample_paper_becomes_its_questions_with_the_seed_progress_steps) {
  TestDatabase db("pipe_sample");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  auto paper = fixtures::make_exam_paper(fixtures::layout("sample"));
  auto sub = submit_paper(c, "Physics sample", "sample.pdf", paper.pdf);

  pg::Connection progress_conn(db.conninfo());
  pg::Listener progress({"processing_jobs_changes"});
  progress.subscribe(progress_conn);

  WorkerProcess worker(db.conninfo(), "pipe-1", {"--concurrency", "2"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 120s), "job did not settle; log:\n" + worker.log());
  BOOST_REQUIRE_MESSAGE(job_field(c, sub.job_id, "status") == "completed",
                        "job " + job_field(c, sub.job_id, "status") + ": " + job_field(c, sub.job_id, "error_message") +
                            "\nlog:\n" + worker.log());
  check_questions(c, sub.exam_paper_id, paper);

  // What the job records.
  auto job = c.exec("SELECT (result->>'questions')::int, (result->>'pages')::int, result->>'extractor', "
                    "(result->>'pages_rendered')::boolean FROM processing_jobs WHERE id = $1::uuid",
                    sub.job_id);
  BOOST_TEST(job.get<int>(0, 0) == static_cast<int>(paper.expected.size()));
  BOOST_TEST(job.get<int>(0, 1) == paper.page_count);
  BOOST_TEST(job.get<std::string>(0, 2) == "text");
  BOOST_TEST(job.get<bool>(0, 3));
  auto meta = c.exec("SELECT page_count, pdf_metadata->>'title' FROM exam_papers WHERE id = $1::uuid", sub.exam_paper_id);
  BOOST_TEST(meta.get<int>(0, 0) == paper.page_count);
  BOOST_TEST(!meta.get<std::string>(0, 1).empty());
  auto pages = c.exec("SELECT count(*)::int, min(width), bool_and(substring(jpeg from 1 for 3) = '\\xffd8ff'::bytea) "
                      "FROM exam_paper_pages WHERE exam_paper_id = $1::uuid", sub.exam_paper_id);
  BOOST_TEST(pages.get<int>(0, 0) == paper.page_count);
  BOOST_TEST(pages.get<int>(0, 1) > 1000);  // A4 at 150 DPI is 1240 pixels wide
  BOOST_TEST(pages.get<bool>(0, 2));

  // The seed's steps, in order, with rising percentages.
  // Everything was sent before the job completed; read until the connection has nothing more.
  std::vector<pg::Notification> seen;
  while (progress.wait(progress_conn, nullptr, std::chrono::steady_clock::now() + 200ms, seen) ==
         pg::Listener::Wake::notified) {
  }
  std::vector<std::pair<std::string, int>> steps;
  for (const auto& n : seen) {
    auto v = tao::json::from_string(n.payload);
    if (v.at("id").get_string() != sub.job_id) continue;
    std::string step = v.at("current_step").is_string() ? v.at("current_step").get_string() : "";
    int pct = static_cast<int>(v.at("progress_percentage").as<std::int64_t>());
    if (steps.empty() || steps.back().first != step || steps.back().second != pct) steps.emplace_back(step, pct);
  }
  BOOST_REQUIRE(!steps.empty());
  std::vector<std::string> order;
  for (const auto& [step, pct] : steps) {
    if (order.empty() || order.back() != step) order.push_back(step);
  }
  const std::vector<std::string> want = {"Queued for processing", "Converting PDF to images",
                                         "Analyzing exam paper with AI", "Finalizing", "Completed"};
  BOOST_TEST(order == want, boost::test_tools::per_element());
  for (std::size_t i = 1; i < steps.size(); ++i) BOOST_TEST(steps[i].second >= steps[i - 1].second);
  BOOST_TEST(steps.front().second == 0);
  BOOST_TEST(steps.back().second == 100);
  // Each step starts at the seed's percentage (intermediate ones are throttled to a few a second,
  // so a fast paper may show none).
  std::map<std::string, int> first;
  for (const auto& [step, pct] : steps) first.emplace(step, pct);
  BOOST_TEST(first["Converting PDF to images"] == 5);
  BOOST_TEST(first["Analyzing exam paper with AI"] == 10);
  BOOST_TEST(first["Finalizing"] == 90);
  BOOST_TEST(first["Completed"] == 100);
}

BOOST_AUTO_TEST_CASE(every_layout_is_recovered_through_the_job_and_a_retry_replaces_without_rendering) {
  TestDatabase db("pipe_layouts");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  std::vector<std::pair<Submitted, fixtures::FixturePaper>> papers;
  for (const char* name : {"aqa", "cambridge", "simple-q", "simple-question", "multiple-choice"}) {
    auto paper = fixtures::make_exam_paper(fixtures::layout(name));
    papers.emplace_back(submit_paper(c, name, std::string(name) + ".pdf", paper.pdf), std::move(paper));
  }
  WorkerProcess worker(db.conninfo(), "pipe-2", {"--concurrency", "3"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 180s), "jobs did not settle; log:\n" + worker.log());
  for (auto& [sub, paper] : papers) {
    BOOST_TEST_CONTEXT(paper.name) {
      BOOST_REQUIRE_EQUAL(job_field(c, sub.job_id, "status"), "completed");
      check_questions(c, sub.exam_paper_id, paper);
    }
  }

  // Process one paper again: its questions are replaced, not duplicated, and the stored pages
  // are reused instead of rendered again.
  const auto& [sub, paper] = papers.front();
  std::string again = c.exec("SELECT create_exam_paper_job($1::uuid) ->> 'jobId'", sub.exam_paper_id).get<std::string>(0, 0);
  BOOST_REQUIRE(watcher.wait_until(all_settled, 120s));
  BOOST_REQUIRE_EQUAL(job_field(c, again, "status"), "completed");
  check_questions(c, sub.exam_paper_id, paper);
  BOOST_TEST(c.exec("SELECT result->>'pages_rendered' FROM processing_jobs WHERE id = $1::uuid", again)
                 .get<std::string>(0, 0) == "false");
  BOOST_TEST(c.exec("SELECT count(*)::int FROM exam_paper_pages WHERE exam_paper_id = $1::uuid", sub.exam_paper_id)
                 .get<int>(0, 0) == paper.page_count);
}

BOOST_AUTO_TEST_CASE(processed_papers_carry_a_review_saying_whether_their_marks_add_up) {
  TestDatabase db("pipe_review");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  // The same questions behind two covers: one states the total they add up to, one 5 more.
  auto spec = fixtures::layout("cambridge");
  const int total = extract::sum_of_marks(fixtures::make_exam_paper(spec).expected);
  spec.cover = {"Physics Paper 2", "", "INFORMATION", "The total mark for this paper is " + std::to_string(total) + "."};
  auto honest = fixtures::make_exam_paper(spec);
  spec.cover.back() = "The total mark for this paper is " + std::to_string(total + 5) + ".";
  auto short_of_total = fixtures::make_exam_paper(spec);
  auto adds_up = submit_paper(c, "adds up", "adds-up.pdf", honest.pdf);
  auto falls_short = submit_paper(c, "falls short", "falls-short.pdf", short_of_total.pdf);
  auto prose = submit_paper(c, "notes", "notes.pdf", prose_pdf());

  WorkerProcess worker(db.conninfo(), "pipe-review", {"--concurrency", "2"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 120s), "jobs did not settle; log:\n" + worker.log());
  for (const auto* sub : {&adds_up, &falls_short, &prose}) {
    BOOST_REQUIRE_EQUAL(job_field(c, sub->job_id, "status"), "completed");
  }
  check_questions(c, adds_up.exam_paper_id, honest);

  const auto trusted = job_review(c, adds_up.job_id);
  BOOST_TEST_INFO("review: " << tao::json::to_string(trusted));
  BOOST_TEST(!trusted.at("needed").get_boolean());
  BOOST_TEST(reasons_of(trusted).empty());
  BOOST_TEST(trusted.at("marks_match").get_boolean());
  BOOST_TEST(trusted.at("stated_total").as<int>() == total);
  BOOST_TEST(trusted.at("stated_total_page").as<int>() == 1);
  BOOST_TEST(trusted.at("marks_sum").as<int>() == total);

  const auto mismatch = job_review(c, falls_short.job_id);
  BOOST_TEST_INFO("review: " << tao::json::to_string(mismatch));
  BOOST_TEST(mismatch.at("needed").get_boolean());
  BOOST_TEST(reasons_of(mismatch) == std::vector<std::string>{"marks_total_mismatch"}, boost::test_tools::per_element());
  BOOST_TEST(!mismatch.at("marks_match").get_boolean());
  BOOST_TEST(mismatch.at("stated_total").as<int>() == total + 5);
  BOOST_TEST(mismatch.at("details").get_array().at(0).at("reason").get_string() == "marks_total_mismatch");

  // A text layer that gave no question completes, but never looks like a success.
  const auto nothing = job_review(c, prose.job_id);
  BOOST_TEST(c.exec("SELECT (result->>'questions')::int FROM processing_jobs WHERE id = $1::uuid", prose.job_id)
                 .get<int>(0, 0) == 0);
  BOOST_TEST(nothing.at("needed").get_boolean());
  BOOST_TEST(reasons_of(nothing) == std::vector<std::string>{"no_questions"}, boost::test_tools::per_element());
  BOOST_TEST(nothing.at("stated_total").is_null());
}

BOOST_AUTO_TEST_CASE(bad_pdfs_fail_at_once_with_a_message_a_person_understands) {
  TestDatabase db("pipe_bad");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  auto empty = submit_paper(c, "empty", "empty.pdf", "");
  auto text = submit_paper(c, "text", "notes.pdf", "These are my revision notes, not a PDF.\n");
  auto locked = submit_paper(c, "locked", "locked.pdf", encrypted_pdf());
  auto sample = fixtures::make_exam_paper(fixtures::layout("sample"));
  auto too_long = submit_paper(c, "long", "long.pdf", sample.pdf);
  auto no_file = c.exec("INSERT INTO exam_papers (title) VALUES ('nothing') RETURNING id").get<std::string>(0, 0);
  auto nothing = c.exec("SELECT create_exam_paper_job($1::uuid) ->> 'jobId'", no_file).get<std::string>(0, 0);
  auto good = submit_paper(c, "good", "good.pdf", fixtures::make_exam_paper(fixtures::layout("simple-q")).pdf);

  std::unique_ptr<WorkerProcess> worker;
  {
    ScopedEnv env(std::map<std::string, std::string>{{"EXAMQ_MAX_PAGES", "3"}});
    worker = std::make_unique<WorkerProcess>(db.conninfo(), "pipe-3", std::vector<std::string>{"--concurrency", "2"});
  }
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 120s), "jobs did not settle; log:\n" + worker->log());

  const std::vector<std::pair<std::string, std::string>> cases = {
      {empty.job_id, "empty"}, {text.job_id, "not a PDF"}, {locked.job_id, "PDF is password-protected"},
      {too_long.job_id, "limit is 3"}, {nothing, "has no PDF"}};
  for (const auto& [id, words] : cases) {
    BOOST_TEST_CONTEXT(words) {
      BOOST_TEST(job_field(c, id, "status") == "failed");
      BOOST_TEST(job_field(c, id, "retry_count") == "0");  // critical: no retry
      BOOST_TEST(job_field(c, id, "attempts") == "1");
      BOOST_TEST(job_field(c, id, "error_message").find(words) != std::string::npos,
                 "error_message: " << job_field(c, id, "error_message"));
    }
  }
  BOOST_TEST(c.exec("SELECT count(*)::int FROM questions WHERE exam_paper_id IN ($1::uuid, $2::uuid, $3::uuid)",
                    empty.exam_paper_id, text.exam_paper_id, locked.exam_paper_id)
                 .get<int>(0, 0) == 0);
  BOOST_TEST(job_field(c, good.job_id, "status") == "completed");
  BOOST_TEST(worker->running());
}

BOOST_AUTO_TEST_CASE(papers_are_fetched_from_their_url_within_the_allowed_root) {
  TestDatabase db("pipe_url");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  auto dir = std::filesystem::temp_directory_path() / ("examq-url-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto paper = fixtures::make_exam_paper(fixtures::layout("cambridge"));
  std::ofstream(dir / "cambridge.pdf", std::ios::binary) << paper.pdf;
  std::ofstream(std::filesystem::temp_directory_path() / "examq-outside.pdf", std::ios::binary) << paper.pdf;

  auto inside = submit_paper_url(c, "inside", "file://" + (dir / "cambridge.pdf").string());
  auto outside = submit_paper_url(c, "outside", "file://" + (std::filesystem::temp_directory_path() / "examq-outside.pdf").string());
  auto ftp = submit_paper_url(c, "ftp", "ftp://example.invalid/paper.pdf");
  auto refused = submit_paper_url(c, "refused", "http://127.0.0.1:9/paper.pdf?token=SECRET-TOKEN");

  std::unique_ptr<WorkerProcess> worker;
  {
    ScopedEnv env(std::map<std::string, std::string>{{"EXAMQ_FILE_URL_ROOT", dir.string()}, {"EXAMQ_FETCH_TIMEOUT", "5s"}});
    worker = std::make_unique<WorkerProcess>(db.conninfo(), "pipe-4", std::vector<std::string>{"--concurrency", "2"});
  }
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [&](pg::Connection& conn) {
                              return conn.exec("SELECT count(*) = 4 FROM processing_jobs WHERE status IN ('completed', 'failed')")
                                  .get<bool>(0, 0);
                            },
                            120s),
                        "log:\n" + worker->log());
  BOOST_TEST(job_field(c, inside.job_id, "status") == "completed");
  check_questions(c, inside.exam_paper_id, paper);
  BOOST_TEST(job_field(c, outside.job_id, "status") == "failed");
  BOOST_TEST(job_field(c, outside.job_id, "error_message").find("outside EXAMQ_FILE_URL_ROOT") != std::string::npos);
  BOOST_TEST(job_field(c, ftp.job_id, "status") == "failed");
  BOOST_TEST(job_field(c, ftp.job_id, "error_message").find("unsupported URL scheme") != std::string::npos);
  // The worker's own machine is not for papers' URLs (EXAMQ_FETCH_ALLOW is not set): refused
  // for good, before connecting, and the URL's secret is never shown.
  BOOST_TEST(job_field(c, refused.job_id, "status") == "failed");
  BOOST_TEST(job_field(c, refused.job_id, "retry_count") == "0");
  BOOST_TEST(job_field(c, refused.job_id, "error_message") ==
             "fetching http://127.0.0.1:9/paper.pdf refused: address 127.0.0.1 of host 127.0.0.1 is not allowed "
             "(loopback); set EXAMQ_FETCH_ALLOW to permit it");
  BOOST_TEST(job_field(c, refused.job_id, "error_message").find("SECRET-TOKEN") == std::string::npos);
  BOOST_TEST(worker->log().find("SECRET-TOKEN") == std::string::npos);
  std::filesystem::remove_all(dir);
  std::filesystem::remove(std::filesystem::temp_directory_path() / "examq-outside.pdf");
}

// Issue 14, finding 6: the credentials in a URL are used for the request, never kept in the
// job's result.source (which `examq show` prints) or its log.
BOOST_AUTO_TEST_CASE(a_paper_on_an_allowed_server_is_fetched_and_its_source_keeps_no_credentials) {
  TestDatabase db("pipe_url_allow");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  auto paper = fixtures::make_exam_paper(fixtures::layout("cambridge"));
  examq::test::FakeHttpServer server([&](const examq::test::FakeRequest&) {
    examq::test::FakeResponse r;
    r.body = paper.pdf;
    r.content_type = "application/pdf";
    return r;
  });
  const std::string port = std::to_string(server.port());
  auto fetched = submit_paper_url(c, "fetched", "http://examq:s3cretpw@127.0.0.1:" + port + "/papers/ok.pdf?sig=SECRET-SIG");
  auto unreachable = submit_paper_url(c, "unreachable", "http://127.0.0.1:9/paper.pdf");

  std::unique_ptr<WorkerProcess> worker;
  {
    ScopedEnv env(std::map<std::string, std::string>{
        {"EXAMQ_FETCH_ALLOW", "127.0.0.1/32"}, {"EXAMQ_FETCH_TIMEOUT", "5s"}, {"no_proxy", "127.0.0.1"}});
    worker = std::make_unique<WorkerProcess>(db.conninfo(), "pipe-allow", std::vector<std::string>{"--concurrency", "2"});
  }
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [&](pg::Connection& conn) {
                              return job_field(conn, fetched.job_id, "status") == "completed" &&
                                     job_field(conn, unreachable.job_id, "retry_count") != "0";
                            },
                            120s),
                        "fetched: " + job_field(c, fetched.job_id, "error_message") + "\nlog:\n" + worker->log());
  check_questions(c, fetched.exam_paper_id, paper);
  BOOST_TEST(c.exec("SELECT result->>'source' FROM processing_jobs WHERE id = $1::uuid", fetched.job_id)
                 .get<std::string>(0, 0) == "http://127.0.0.1:" + port + "/papers/ok.pdf");
  BOOST_TEST(c.exec("SELECT count(*)::int FROM processing_jobs WHERE result::text LIKE '%s3cretpw%' "
                    "OR error_message LIKE '%s3cretpw%'")
                 .get<int>(0, 0) == 0);
  BOOST_TEST(worker->log().find("s3cretpw") == std::string::npos);
  BOOST_REQUIRE(server.request_count() >= 1);
  BOOST_TEST(server.requests().at(0).header("authorization").has_value());  // used, just not kept
  // Allowed, so a closed port there is an ordinary connection failure: retried.
  BOOST_TEST(job_field(c, unreachable.job_id, "status") == "pending");
  BOOST_TEST(job_field(c, unreachable.job_id, "error_message").find("fetching http://127.0.0.1:9/paper.pdf failed") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(worker_refuses_to_start_with_a_bad_fetch_allow_list) {
  TestDatabase db("pipe_bad_allow");
  ScopedEnv env(std::map<std::string, std::string>{{"EXAMQ_FETCH_ALLOW", "10.0.0.0/33"}});
  WorkerProcess worker(db.conninfo(), "pipe-bad-allow", {});
  const std::optional<int> code = worker.wait_exit(60s);
  BOOST_REQUIRE(code.has_value());
  BOOST_TEST((WIFEXITED(*code) && WEXITSTATUS(*code) == 2));
  BOOST_TEST(worker.log().find("EXAMQ_FETCH_ALLOW") != std::string::npos, worker.log());
}

BOOST_AUTO_TEST_CASE(scanned_paper_is_read_by_ocr_with_rising_progress) {
  TestDatabase db("pipe_scan");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  auto paper = fixtures::make_exam_paper(fixtures::layout("sample"));
  fixtures::ScanSettings scan;
  scan.text_pages = {2};  // a mixed paper: one born-digital page among scans
  auto sub = submit_paper(c, "Scanned sample", "scan.pdf", fixtures::scan_pdf(paper.pdf, scan));

  pg::Connection progress_conn(db.conninfo());
  pg::Listener progress({"processing_jobs_changes"});
  progress.subscribe(progress_conn);

  WorkerProcess worker(db.conninfo(), "pipe-scan", {"--concurrency", "1"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 240s), "job did not settle; log:\n" + worker.log());
  BOOST_REQUIRE_MESSAGE(job_field(c, sub.job_id, "status") == "completed",
                        "job " + job_field(c, sub.job_id, "status") + ": " + job_field(c, sub.job_id, "error_message"));
  BOOST_TEST(c.exec("SELECT (result->>'ocr_pages')::int FROM processing_jobs WHERE id = $1::uuid", sub.job_id)
                 .get<int>(0, 0) == paper.page_count - 1);

  // Each saved row says how it was read: page 2 from its text layer, the rest by OCR; at least
  // 95% of the numbers come back, and none that the paper does not have.
  auto r = c.exec("SELECT question_number, page_number, source FROM questions WHERE exam_paper_id = $1::uuid",
                  sub.exam_paper_id);
  std::set<std::string> expected;
  for (const auto& q : paper.expected) expected.insert(q.number);
  int found = 0;
  for (int i = 0; i < r.rows(); ++i) {
    const std::string number = r.get<std::string>(i, 0);
    BOOST_TEST(expected.count(number) == 1u, "invented question " << number);
    found += static_cast<int>(expected.count(number));
    BOOST_TEST(r.get<std::string>(i, 2) == (r.get<int>(i, 1) == 2 ? "text" : "ocr"), number);
  }
  BOOST_TEST(found >= 0.95 * static_cast<double>(expected.size()));

  // OCR is the slow part and counts as analysis: progress rises through it and never goes back.
  std::vector<pg::Notification> seen;
  while (progress.wait(progress_conn, nullptr, std::chrono::steady_clock::now() + 200ms, seen) ==
         pg::Listener::Wake::notified) {
  }
  std::vector<int> percentages;
  std::set<int> analysing;
  for (const auto& n : seen) {
    auto v = tao::json::from_string(n.payload);
    if (v.at("id").get_string() != sub.job_id) continue;
    const int pct = static_cast<int>(v.at("progress_percentage").as<std::int64_t>());
    percentages.push_back(pct);
    if (v.at("current_step").is_string() && v.at("current_step").get_string() == "Analyzing exam paper with AI") {
      analysing.insert(pct);
    }
  }
  for (std::size_t i = 1; i < percentages.size(); ++i) BOOST_TEST(percentages[i] >= percentages[i - 1]);
  BOOST_TEST(analysing.size() >= 2u, "progress should rise while pages are read");
}

BOOST_AUTO_TEST_CASE(worker_refuses_to_start_without_its_ocr_language_pack) {
  TestDatabase db("pipe_ocr_lang");
  ScopedEnv env(std::map<std::string, std::string>{{"EXAMQ_OCR_LANGUAGES", "eng+xyz"}});
  WorkerProcess worker(db.conninfo(), "pipe-lang", {});
  const std::optional<int> code = worker.wait_exit(60s);
  BOOST_REQUIRE(code.has_value());
  BOOST_TEST((WIFEXITED(*code) && WEXITSTATUS(*code) != 0));
  BOOST_TEST(worker.log().find("OCR language 'xyz' is not installed") != std::string::npos, worker.log());

  // A worker that does not claim exam papers does not need OCR: it starts and runs its jobs.
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  c.exec("INSERT INTO processing_jobs (job_type, payload) VALUES ('noop', '{}')");
  WorkerProcess noop_worker(db.conninfo(), "pipe-noop", {"--job-types", "noop"});
  BOOST_TEST(watcher.wait_until(all_settled, 60s), noop_worker.log());
  BOOST_TEST(c.exec("SELECT status FROM processing_jobs WHERE job_type = 'noop'").get<std::string>(0, 0) ==
             "completed");
}
