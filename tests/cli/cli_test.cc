// The examq command line end to end: the real binary against a real database and worker.
#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>

#include "cli_run.h"
#include "job_watcher.h"
#include "test_database.h"
#include "worker_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tao/json/from_string.hpp>
#include <tao/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <signal.h>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <thread>

using examq::testing::CliResult;
using examq::testing::describe;
using examq::testing::count_status;
using examq::testing::insert_job;
using examq::testing::job_field;
using examq::testing::JobWatcher;
using examq::testing::run_examq;
using examq::testing::run_examq_in;
using examq::testing::run_examq_in_terminal;
using examq::testing::TempDir;
using examq::testing::TestDatabase;
using examq::testing::WorkerProcess;
namespace fs = std::filesystem;

namespace {

const std::string kSample = std::string(EXAMQ_SOURCE_DIR) + "/docs/samples/sample-exam-paper.pdf";

// Commands run with --db; EXAMQ_HOME points nowhere so no recorded cluster can interfere.
const std::vector<std::pair<std::string, std::string>> kEnv = {{"EXAMQ_HOME", "/nonexistent/examq-home"},
                                                              {"EXAMQ_DB", ""},
                                                              {"DATABASE_URL", ""}};

CliResult examq_on(const TestDatabase& db, std::vector<std::string> args) {
  args.push_back("--db");
  args.push_back(db.conninfo());
  return run_examq(args, kEnv);
}

// A batch of noop jobs made in one transaction (examq_begin_batch), as `examq submit` makes one.
std::string noop_batch(examq::pg::Connection& conn, const std::string& label, const std::vector<std::string>& payloads) {
  conn.exec("BEGIN");
  const std::string batch = conn.exec("SELECT examq_begin_batch($1)::text", label).get<std::string>(0, 0);
  for (const std::string& p : payloads) insert_job(conn, "noop", p);
  conn.exec("COMMIT");
  return batch;
}

tao::json::value parse(const CliResult& r) {
  BOOST_TEST_INFO(describe(r));
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  return tao::json::from_string(r.out);
}

int count(examq::pg::Connection& conn, const char* sql) { return conn.exec(sql).get<int>(0, 0); }

int unused_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // nobody listens there now
  return ntohs(addr.sin_port);
}

// An EXAMQ_HOME of its own, where `examq down` runs at the end whatever happened: neither a
// cluster nor a detached worker outlives the test.
struct LocalHome {
  TempDir dir;
  std::vector<std::pair<std::string, std::string>> env = {
      {"EXAMQ_HOME", dir.path}, {"EXAMQ_DB", ""}, {"DATABASE_URL", ""}};
  ~LocalHome() { run_examq({"down"}, env); }
};

// A process that has not exited (a zombie counts as exited: nobody may reap it here).
bool process_alive(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

int recorded_pid(const std::string& home) {
  std::ifstream in(home + "/worker.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(submit_and_follow)

BOOST_AUTO_TEST_CASE(submit_wait_prints_a_line_per_change_until_completed_then_show_and_questions_agree) {
  TestDatabase db("cli_submit");
  WorkerProcess worker(db.conninfo(), "cli-worker", {"--concurrency", "1"});

  CliResult submitted = examq_on(db, {"submit", kSample, "--title", "Physics sample", "--priority", "high", "--wait"});
  BOOST_TEST_INFO(describe(submitted) + "\n--- worker\n" + worker.log());
  BOOST_REQUIRE_EQUAL(submitted.exit_code, 0);
  std::smatch m;
  BOOST_REQUIRE(std::regex_search(submitted.out, m, std::regex("job ([0-9a-f-]{36}), exam paper ([0-9a-f-]{36}), 6 pages, estimated [0-9]+ s")));
  const std::string job_id = m[1], paper_id = m[2];
  // Off a terminal: one line per change, the last of them the completion, then a summary.
  BOOST_TEST(std::regex_search(submitted.out, std::regex(job_id + "  completed  100%  Completed")));
  BOOST_TEST(submitted.out.find("\x1b[") == std::string::npos);  // no cursor movement in a pipe
  BOOST_TEST(submitted.out.find("  paper: Physics sample (sample-exam-paper.pdf)") != std::string::npos);
  BOOST_TEST(submitted.out.find("1 completed") != std::string::npos);

  tao::json::value job = parse(examq_on(db, {"show", job_id, "--json"}));
  BOOST_TEST(job.at("status").get_string() == "completed");
  BOOST_TEST(job.at("priority").as<int>() == 10);
  BOOST_TEST(job.at("exam_paper").at("title").get_string() == "Physics sample");
  BOOST_TEST(job.at("exam_paper").at("files").get_array().at(0).at("filename").get_string() == "sample-exam-paper.pdf");
  const int question_count = job.at("result").at("questions").as<int>();
  BOOST_TEST(question_count > 0);

  tao::json::value questions = parse(examq_on(db, {"questions", paper_id, "--json"}));
  BOOST_TEST(questions.at("exam_paper").at("id").get_string() == paper_id);
  const auto& list = questions.at("questions").get_array();
  BOOST_REQUIRE_EQUAL(static_cast<int>(list.size()), question_count);
  BOOST_TEST(list.front().at("position").as<int>() == 1);
  BOOST_TEST(!list.front().at("question_number").get_string().empty());

  CliResult readable = examq_on(db, {"questions", paper_id});
  BOOST_TEST_INFO(describe(readable));
  BOOST_TEST(readable.exit_code == 0);
  BOOST_TEST(readable.out.find("Physics sample: " + std::to_string(question_count) + " questions") != std::string::npos);

  CliResult text = examq_on(db, {"show", job_id});
  BOOST_TEST(text.exit_code == 0);
  BOOST_TEST(text.out.find("completed") != std::string::npos);

  // The paper's review, the same in every command that shows the paper, human and --json.
  const tao::json::value& review = job.at("result").at("review");
  const bool needed = review.at("needed").get_boolean();
  std::string reasons;
  for (const auto& r : review.at("reasons").get_array()) reasons += (reasons.empty() ? "" : ", ") + r.get_string();
  BOOST_TEST(needed == !reasons.empty());
  BOOST_TEST((questions.at("review") == review));
  tao::json::value listed = parse(examq_on(db, {"jobs", "--json"})).get_array().at(0);
  BOOST_TEST(listed.at("review_needed").get_boolean() == needed);
  BOOST_TEST((listed.at("review_reasons") == review.at("reasons")));
  const std::string headline = needed ? "needed: " + reasons : "not needed";
  BOOST_TEST(readable.out.find("\nreview " + headline) != std::string::npos, readable.out);
  BOOST_TEST(std::regex_search(text.out, std::regex("\nreview +" + std::regex_replace(headline, std::regex("[()]"), "."))),
             text.out);
  CliResult table = examq_on(db, {"jobs"});
  BOOST_TEST(table.out.find("REVIEW") != std::string::npos, table.out);
  BOOST_TEST(table.out.find(needed ? "  needed  " : "  ok  ") != std::string::npos, table.out);
}

BOOST_AUTO_TEST_CASE(submit_json_makes_one_job_per_file) {
  TestDatabase db("cli_submit_json");
  auto conn = db.connect();
  tao::json::value answers = parse(examq_on(db, {"submit", kSample, kSample, "--priority", "-5", "--json"}));
  BOOST_REQUIRE_EQUAL(answers.get_array().size(), 2u);
  for (const auto& a : answers.get_array()) {
    BOOST_TEST(a.at("success").get_boolean());
    BOOST_TEST(a.at("estimated_time").as<int>() > 0);
    BOOST_TEST(a.at("pages").as<int>() == 6);
    BOOST_TEST(a.at("file").get_string() == kSample);
    BOOST_TEST(job_field(conn, a.at("job_id").get_string(), "priority") == "-5");
    BOOST_TEST(job_field(conn, a.at("job_id").get_string(), "exam_paper_id") == a.at("exam_paper_id").get_string());
  }
  BOOST_TEST(answers[0].at("job_id").get_string() != answers[1].at("job_id").get_string());
  BOOST_TEST(count_status(conn, "pending") == 2);
}

BOOST_AUTO_TEST_CASE(watch_on_a_terminal_redraws_progress_bars_in_place) {
  TestDatabase db("cli_watch_tty");
  auto conn = db.connect();
  WorkerProcess worker(db.conninfo(), "cli-worker", {"--concurrency", "2"});
  const std::string a = insert_job(conn, "noop", R"({"sleep_ms": 200, "steps": 4})");
  const std::string b = insert_job(conn, "noop", R"({"sleep_ms": 100, "steps": 2})");

  CliResult r = run_examq_in_terminal({"watch", a, b, "--db", db.conninfo()}, kEnv, 100);
  BOOST_TEST_INFO(describe(r));
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("\x1b[2A") != std::string::npos);  // back up over both bars to redraw them
  BOOST_TEST(r.out.find(a.substr(0, 8) + "  [====================] 100%") != std::string::npos);
  BOOST_TEST(r.out.find(b.substr(0, 8) + "  [====================] 100%") != std::string::npos);
  BOOST_TEST(r.out.find("2 completed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(jobs_and_stats_json_have_the_documented_shape) {
  TestDatabase db("cli_jobs");
  auto conn = db.connect();
  const std::string a = insert_job(conn, "noop", "{}");
  const std::string b = insert_job(conn, "noop", "{\"base64_images\": [\"AAAA\", \"BBBB\"]}");

  tao::json::value jobs = parse(examq_on(db, {"jobs", "--json"}));
  BOOST_REQUIRE_EQUAL(jobs.get_array().size(), 2u);
  for (const auto& j : jobs.get_array()) {
    for (const char* key : {"id", "job_type", "status", "priority", "progress_percentage", "current_step", "retry_count",
                            "max_retries", "created_at"}) {
      BOOST_TEST_INFO(key);
      BOOST_TEST(j.find(key) != nullptr);
    }
    BOOST_TEST(j.find("payload") == nullptr);
    BOOST_TEST(j.at("review_needed").is_null());  // only a processed paper has a review
  }
  BOOST_TEST(parse(examq_on(db, {"jobs", "--json", "--status", "completed"})).get_array().empty());
  BOOST_TEST(parse(examq_on(db, {"jobs", "--json", "--limit", "1"})).get_array().size() == 1u);

  // show never prints the base64 images, only how many there were.
  CliResult shown = examq_on(db, {"show", b, "--json"});
  BOOST_TEST(shown.out.find("AAAA") == std::string::npos);
  BOOST_TEST(parse(shown).at("payload").at("base64_images_omitted").as<int>() == 2);

  tao::json::value stats = parse(examq_on(db, {"stats", "--json"}));
  bool saw_all_types_day = false;
  for (const auto& row : stats.get_array()) {
    if (row.at("period").get_string() == "last_day" && row.at("job_type").is_null()) {
      saw_all_types_day = true;
      BOOST_TEST(row.at("total").as<int>() == 2);
      BOOST_TEST(row.at("pending").as<int>() == 2);
    }
  }
  BOOST_TEST(saw_all_types_day);
  (void)a;
}

BOOST_AUTO_TEST_CASE(watch_ends_with_exit_1_when_a_job_fails_and_retry_runs_it_again) {
  TestDatabase db("cli_watch_fail");
  auto conn = db.connect();
  WorkerProcess worker(db.conninfo(), "cli-worker", {"--concurrency", "1"});
  const std::string id = insert_job(conn, "noop", R"({"sleep_ms": 20, "steps": 2, "fail": "critical"})");

  CliResult watched = examq_on(db, {"watch", id});
  BOOST_TEST_INFO(describe(watched));
  BOOST_TEST(watched.exit_code == 1);
  BOOST_TEST(watched.out.find(id + "  failed") != std::string::npos);
  BOOST_TEST(watched.out.find("1 failed") != std::string::npos);

  tao::json::value job = parse(examq_on(db, {"show", id, "--json"}));
  BOOST_TEST(job.at("status").get_string() == "failed");
  BOOST_TEST(!job.at("error_message").is_null());
  BOOST_TEST(job.at("attempts").as<int>() == 1);

  CliResult retried = examq_on(db, {"retry", id});
  BOOST_TEST_INFO(describe(retried));
  BOOST_TEST(retried.exit_code == 0);
  BOOST_TEST(examq_on(db, {"watch", id}).exit_code == 1);  // fails again, on its second attempt
  BOOST_TEST(job_field(conn, id, "attempts") == "2");
}

BOOST_AUTO_TEST_CASE(watch_batch_follows_every_job_of_the_batch_and_exits_1_when_any_failed) {
  TestDatabase db("cli_watch_batch");
  auto conn = db.connect();
  const std::string ok = noop_batch(conn, "two good", {R"({"sleep_ms": 50, "steps": 2})", R"({"sleep_ms": 50, "steps": 2})"});
  const std::string bad = noop_batch(conn, "one bad", {R"({"sleep_ms": 20, "steps": 1})", R"({"sleep_ms": 20, "steps": 1, "fail": "critical"})"});
  WorkerProcess worker(db.conninfo(), "cli-worker", {"--concurrency", "2"});

  // By prefix, as submit prints it: every job of the batch, then the batch's state.
  CliResult watched = examq_on(db, {"watch", "--batch", ok.substr(0, 8)});
  BOOST_TEST_INFO(describe(watched));
  BOOST_TEST(watched.exit_code == 0);
  BOOST_TEST(watched.out.find("2 completed") != std::string::npos);
  BOOST_TEST(watched.out.find("batch " + ok + " (two good): completed\n") != std::string::npos);

  CliResult failed = examq_on(db, {"watch", "--batch", bad});
  BOOST_TEST_INFO(describe(failed));
  BOOST_TEST(failed.exit_code == 1);
  BOOST_TEST(failed.out.find("1 failed") != std::string::npos);
  BOOST_TEST(failed.out.find("batch " + bad + " (one bad): completed_with_errors\n") != std::string::npos);

  // An unknown batch is an error; a batch and job ids together are a usage error.
  CliResult unknown = examq_on(db, {"watch", "--batch", "0000dead"});
  BOOST_TEST(unknown.exit_code == 1);
  BOOST_TEST(unknown.err.find("no batch 0000dead") != std::string::npos, describe(unknown));
  BOOST_TEST(examq_on(db, {"watch", "--batch", ok, "0000dead"}).exit_code == 2);
}

BOOST_AUTO_TEST_CASE(cancel_stops_a_running_job_and_watch_sees_it) {
  TestDatabase db("cli_cancel_running");
  auto conn = db.connect();
  WorkerProcess worker(db.conninfo(), "cli-worker", {"--concurrency", "1"});
  const std::string id = insert_job(conn, "noop", R"({"sleep_ms": 60000, "steps": 600})");
  JobWatcher watcher(db.conninfo());
  BOOST_REQUIRE(watcher.wait_until([&](auto& c) { return job_field(c, id, "status") == "processing"; },
                                   std::chrono::seconds(60)));

  CliResult cancelled = examq_on(db, {"cancel", id});
  BOOST_TEST_INFO(describe(cancelled));
  BOOST_TEST(cancelled.exit_code == 0);
  BOOST_TEST(cancelled.out.find("cancellation requested") != std::string::npos);
  CliResult watched = examq_on(db, {"watch", id});
  BOOST_TEST_INFO(describe(watched));
  BOOST_TEST(watched.exit_code == 1);
  BOOST_TEST(watched.out.find("1 cancelled") != std::string::npos);
  BOOST_TEST(job_field(conn, id, "status") == "cancelled");
}

// Issue 14, finding 8: text from the database reached the terminal raw, so an error message
// could retitle the window or rewrite the screen. Every human-readable output escapes it.
BOOST_AUTO_TEST_CASE(control_characters_from_the_database_are_escaped_in_every_human_readable_output) {
  TestDatabase db("cli_escape");
  auto conn = db.connect();
  const std::string osc = "\x1b]0;pwned\x07";   // sets the window title
  const std::string csi = "\xc2\x9b" "2J";       // C1 CSI (U+009B) then "clear screen"
  const std::string del = "\x7f";
  const std::string paper = conn.exec("INSERT INTO exam_papers (title) VALUES ($1) RETURNING id::text",
                                      "Paper " + osc + csi).get<std::string>(0, 0);
  conn.exec("INSERT INTO exam_paper_files (exam_paper_id, filename, data) VALUES ($1::uuid, $2, '\\x25504446')",
            paper, "evil" + osc + ".pdf");
  const std::string failed = insert_job(conn, "noop", "{}");
  conn.exec("UPDATE processing_jobs SET status = 'failed', completed_at = now(), exam_paper_id = $2::uuid, "
            "error_message = $3, current_step = $4, result = jsonb_build_object('note', $3::text) WHERE id = $1::uuid",
            failed, paper, "boom " + osc + csi + del + "\r\nline two", "step " + osc);
  const std::string running = insert_job(conn, "noop", "{}");
  conn.exec("UPDATE processing_jobs SET status = 'processing', started_at = now(), locked_until = now() + interval '1 hour', "
            "locked_by = $2, current_step = $3 WHERE id = $1::uuid",
            running, "worker" + osc, "running " + csi);
  conn.exec("SELECT examq_register_worker($1, $2, 1, '0.1.0', NULL, 1, '1 hour', '20 minutes')", "worker" + osc, "host" + csi);

  // Raw control bytes: C0 except the line breaks the commands print themselves, DEL, and C1
  // as UTF-8 (0xC2 0x80..0x9F).
  auto raw_controls = [](const std::string& text) {
    std::string found;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      const bool c1 = c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                      static_cast<unsigned char>(text[i + 1]) <= 0x9f;
      if ((c < 0x20 && c != '\n') || c == 0x7f || c1) found += "[" + std::to_string(c) + " at " + std::to_string(i) + "]";
    }
    return found;
  };
  const std::vector<std::vector<std::string>> commands = {
      {"jobs"}, {"show", failed}, {"show", running}, {"watch", failed}, {"questions", paper}, {"status"}, {"workers"}};
  for (const auto& args : commands) {
    CliResult r = examq_on(db, args);
    BOOST_TEST_CONTEXT(args.front() + "\n" + describe(r)) {
      BOOST_TEST(r.exit_code != -1);
      BOOST_TEST(raw_controls(r.out).empty(), raw_controls(r.out));
      BOOST_TEST(raw_controls(r.err).empty(), raw_controls(r.err));
      BOOST_TEST(r.out.find("\\x1b]0;pwned\\x07") != std::string::npos);  // shown, escaped
    }
  }
  BOOST_TEST(examq_on(db, {"show", failed}).out.find("boom \\x1b]0;pwned\\x07\\u009b2J\\x7f\\r\\nline two") !=
             std::string::npos);

  // --json is JSON's own escaping, unchanged: the strings come back exactly as stored.
  tao::json::value shown = parse(examq_on(db, {"show", failed, "--json"}));
  BOOST_TEST(shown.at("error_message").get_string() == "boom " + osc + csi + del + "\r\nline two");
  BOOST_TEST(shown.at("exam_paper").at("title").get_string() == "Paper " + osc + csi);
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 20: workers register themselves, so an idle one is visible, and a job no live worker
// would claim is announced instead of waited on in silence.
BOOST_AUTO_TEST_SUITE(workers_you_can_see)

int live_workers(examq::pg::Connection& c) {
  return c.exec("SELECT count(*)::int FROM examq_live_workers").get<int>(0, 0);
}

// Whether a `watch` (on its own or inside `submit --wait`) sits waiting for notifications: it has
// read the jobs and said what it had to say.
bool watch_is_waiting(examq::pg::Connection& c) {
  return c.exec("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = 'examq watch' AND state = 'idle'")
             .get<int>(0, 0) == 1;
}

BOOST_AUTO_TEST_CASE(an_idle_worker_is_listed_by_workers_and_counted_by_status_until_sigterm) {
  TestDatabase db("cli_workers");
  WorkerProcess worker(db.conninfo(), "cli-idle", {"--concurrency", "2", "--job-types", "noop"});
  JobWatcher watcher(db.conninfo());
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([](examq::pg::Connection& c) { return live_workers(c) == 1; },
                                           std::chrono::seconds(60)),
                        worker.log());

  tao::json::value workers = parse(examq_on(db, {"workers", "--json"}));
  BOOST_REQUIRE_EQUAL(workers.get_array().size(), 1u);
  const tao::json::value& w = workers[0];
  BOOST_TEST(w.at("worker_id").get_string() == "cli-idle");
  BOOST_TEST(w.at("state").get_string() == "live");
  BOOST_TEST(w.at("pid").as<int>() == worker.pid());
  BOOST_TEST((w.at("job_types") == tao::json::value::array({"noop"})));
  BOOST_TEST(w.at("concurrency").as<int>() == 2);
  BOOST_TEST(w.at("held_jobs").as<int>() == 0);
  BOOST_TEST(w.at("job_ids").get_array().empty());
  BOOST_TEST(w.at("lease_seconds").as<double>() == 60.0);
  BOOST_TEST(!w.at("version").get_string().empty());
  BOOST_TEST(!w.at("host").get_string().empty());
  CliResult table = examq_on(db, {"workers"});
  BOOST_TEST_INFO(describe(table));
  BOOST_TEST(table.exit_code == 0);
  BOOST_TEST(std::regex_search(table.out, std::regex("\ncli-idle +live +[^ ]+ +" + std::to_string(worker.pid()) +
                                                     " +[^ ]+ +noop +0/2 ")));

  // status counts it though it runs no job.
  BOOST_TEST((parse(examq_on(db, {"status", "--json"})).at("workers") == tao::json::value::array({"cli-idle"})));
  CliResult status = examq_on(db, {"status"});
  BOOST_TEST(status.out.find("workers:       1 live: cli-idle\n") != std::string::npos, status.out);

  worker.signal(SIGTERM);
  BOOST_REQUIRE(worker.wait_exit(std::chrono::seconds(30)).has_value());
  BOOST_TEST(parse(examq_on(db, {"workers", "--json"})).get_array().empty());
  tao::json::value all = parse(examq_on(db, {"workers", "--all", "--json"}));
  BOOST_REQUIRE_EQUAL(all.get_array().size(), 1u);
  BOOST_TEST(all[0].at("state").get_string() == "stopped");
  BOOST_TEST(!all[0].at("stopped_at").is_null());
  BOOST_TEST(parse(examq_on(db, {"status", "--json"})).at("workers").get_array().empty());
  BOOST_TEST(examq_on(db, {"status"}).out.find("workers:       none live") != std::string::npos);
  BOOST_TEST(examq_on(db, {"workers"}).out.find("no live workers") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(submit_wait_warns_at_once_when_no_live_worker_runs_the_type_and_keeps_waiting) {
  TestDatabase db("cli_no_worker");
  JobWatcher watcher(db.conninfo());
  // A live worker of another type does not count.
  WorkerProcess noop_worker(db.conninfo(), "cli-noop-only", {"--job-types", "noop"});
  BOOST_REQUIRE(watcher.wait_until([](examq::pg::Connection& c) { return live_workers(c) == 1; }, std::chrono::seconds(60)));

  CliResult submitted;
  std::thread submit([&] { submitted = examq_on(db, {"submit", kSample, "--wait"}); });
  const bool waiting = watcher.wait_until(
      [](examq::pg::Connection& c) {
        return c.exec("SELECT count(*)::int FROM processing_jobs WHERE status = 'pending'").get<int>(0, 0) == 1 &&
               watch_is_waiting(c);
      },
      std::chrono::seconds(60));
  // Still waiting: only now does a worker for papers start.
  std::optional<WorkerProcess> paper_worker;
  if (waiting) paper_worker.emplace(db.conninfo(), "cli-papers", std::vector<std::string>{"--job-types", "process-exam-paper"});
  submit.join();
  BOOST_REQUIRE(waiting);
  BOOST_TEST_INFO(describe(submitted) + "\n--- worker\n" + paper_worker->log());
  BOOST_TEST(submitted.exit_code == 0);
  BOOST_TEST(submitted.err.find("examq submit: warning: no live worker runs process-exam-paper jobs; they wait until "
                                "one starts") != std::string::npos);
  BOOST_TEST(submitted.out.find("1 completed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(watch_says_when_a_worker_for_the_waiting_type_appears) {
  TestDatabase db("cli_worker_appears");
  auto conn = db.connect();
  JobWatcher watcher(db.conninfo());
  const std::string id = insert_job(conn, "noop", R"({"sleep_ms": 2000, "steps": 2})");
  CliResult watched;
  std::thread watch([&] { watched = examq_on(db, {"watch", id}); });
  const bool waiting = watcher.wait_until(watch_is_waiting, std::chrono::seconds(60));
  std::optional<WorkerProcess> worker;
  if (waiting) worker.emplace(db.conninfo(), "cli-late", std::vector<std::string>{"--job-types", "noop"});
  watch.join();
  BOOST_REQUIRE(waiting);
  BOOST_TEST_INFO(describe(watched));
  BOOST_TEST(watched.exit_code == 0);
  const std::size_t warned = watched.err.find("examq watch: warning: no live worker runs noop jobs");
  const std::size_t appeared = watched.err.find("examq watch: a worker that runs noop jobs is live now");
  BOOST_TEST(warned != std::string::npos);
  BOOST_TEST(appeared != std::string::npos);
  BOOST_TEST(warned < appeared);
  BOOST_TEST(watched.out.find("1 completed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(watch_batch_follows_a_job_added_to_the_batch_while_watching) {
  TestDatabase db("cli_watch_batch_joins");
  auto conn = db.connect();
  JobWatcher watcher(db.conninfo());
  const std::string batch = noop_batch(conn, "grows", {R"({"sleep_ms": 20, "steps": 1})"});
  CliResult watched;
  std::thread watch([&] { watched = examq_on(db, {"watch", "--batch", batch}); });
  // No worker yet: the first job waits, so the watch is still on when the second joins.
  const bool waiting = watcher.wait_until(watch_is_waiting, std::chrono::seconds(60));
  std::string joined;
  std::optional<WorkerProcess> worker;
  if (waiting) {
    joined = conn.exec("INSERT INTO processing_jobs (job_type, payload, batch_id) VALUES ('noop', '{\"sleep_ms\": 20}', $1::uuid)"
                       " RETURNING id::text", batch).get<std::string>(0, 0);
    worker.emplace(db.conninfo(), "cli-batch", std::vector<std::string>{"--concurrency", "2"});
  }
  watch.join();
  BOOST_REQUIRE(waiting);
  BOOST_TEST_INFO(describe(watched));
  BOOST_TEST(watched.exit_code == 0);
  BOOST_TEST(watched.out.find(joined + "  completed") != std::string::npos);
  BOOST_TEST(watched.out.find("2 completed") != std::string::npos);
  BOOST_TEST(watched.out.find("batch " + batch + " (grows): completed\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(admin_round_trips)

BOOST_AUTO_TEST_CASE(cancel_and_retry_round_trip_on_a_pending_job) {
  TestDatabase db("cli_cancel_retry");
  auto conn = db.connect();
  const std::string id = insert_job(conn, "noop", "{}");

  tao::json::value cancelled = parse(examq_on(db, {"cancel", id, "--json"}));
  BOOST_TEST(cancelled.at("status").get_string() == "cancelled");
  BOOST_TEST(job_field(conn, id, "status") == "cancelled");

  CliResult again = examq_on(db, {"cancel", id});  // already finished
  BOOST_TEST_INFO(describe(again));
  BOOST_TEST(again.exit_code == 1);
  BOOST_TEST(!again.err.empty());

  tao::json::value retried = parse(examq_on(db, {"retry", id, "--json"}));
  BOOST_TEST(retried.at("status").get_string() == "pending");
  BOOST_TEST(job_field(conn, id, "status") == "pending");

  CliResult retry_pending = examq_on(db, {"retry", id});  // only failed or cancelled jobs
  BOOST_TEST(retry_pending.exit_code == 1);

  CliResult unknown = examq_on(db, {"retry", "00000000-0000-0000-0000-000000000000"});
  BOOST_TEST_INFO(describe(unknown));
  BOOST_TEST(unknown.exit_code == 1);
  BOOST_TEST(unknown.err.find("no job") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(submit_of_a_missing_file_exits_1_and_sends_nothing) {
  TestDatabase db("cli_missing");
  auto conn = db.connect();
  CliResult r = examq_on(db, {"submit", kSample, "/nonexistent/paper.pdf"});
  BOOST_TEST_INFO(describe(r));
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("/nonexistent/paper.pdf") != std::string::npos);
  BOOST_TEST(count(conn, "SELECT count(*)::int FROM exam_papers") == 0);
  BOOST_TEST(count(conn, "SELECT count(*)::int FROM processing_jobs") == 0);
}

BOOST_AUTO_TEST_CASE(submit_of_a_non_pdf_exits_1_and_sends_nothing) {
  TestDatabase db("cli_not_pdf");
  auto conn = db.connect();
  TempDir dir;
  const std::string text = dir.path + "/notes.pdf";
  std::ofstream(text) << "these are not the droids\n";
  CliResult r = examq_on(db, {"submit", kSample, text});
  BOOST_TEST_INFO(describe(r));
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("notes.pdf: file is not a PDF") != std::string::npos);
  BOOST_TEST(count(conn, "SELECT count(*)::int FROM exam_papers") == 0);
}

BOOST_AUTO_TEST_CASE(an_unreachable_database_exits_1_with_a_hint) {
  const std::string db = "host=127.0.0.1 port=" + std::to_string(unused_loopback_port()) + " connect_timeout=5";
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"jobs"}, {"stats", "--json"}, {"submit", kSample}, {"show", "00000000-0000-0000-0000-000000000000"}}) {
    args.push_back("--db");
    args.push_back(db);
    CliResult r = run_examq(args, kEnv);
    BOOST_TEST_INFO(args.front() + ": " + describe(r));
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err.find("examq up") != std::string::npos);
    BOOST_TEST(r.out.empty());
  }
}

BOOST_AUTO_TEST_CASE(worker_refuses_a_job_type_no_handler_runs_and_bad_settings_of_a_type_it_does_not_run) {
  TestDatabase db("cli_worker_types");
  auto conn = db.connect();
  CliResult typo = run_examq({"worker", "--job-types", "noop,process-exam-papers", "--db", db.conninfo()}, kEnv,
                             std::chrono::seconds(30));
  BOOST_TEST_INFO(describe(typo));
  BOOST_TEST(typo.exit_code == 2);
  BOOST_TEST(typo.err.find("no handler for process-exam-papers (examq runs: noop, notify, process-exam-paper, retag-questions)") != std::string::npos);

  // A noop-only worker still checks process-exam-paper's settings.
  auto env = kEnv;
  env.emplace_back("EXAMQ_RENDER_DPI", "abc");
  CliResult bad = run_examq({"worker", "--job-types", "noop", "--db", db.conninfo()}, env, std::chrono::seconds(30));
  BOOST_TEST_INFO(describe(bad));
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("EXAMQ_RENDER_DPI") != std::string::npos);
  // ... and notify's.
  auto smtp = kEnv;
  smtp.emplace_back("EXAMQ_SMTP_URL", "http://mail.example");
  CliResult bad_smtp = run_examq({"worker", "--job-types", "noop", "--db", db.conninfo()}, smtp, std::chrono::seconds(30));
  BOOST_TEST_INFO(describe(bad_smtp));
  BOOST_TEST(bad_smtp.exit_code == 2);
  BOOST_TEST(bad_smtp.err.find("EXAMQ_SMTP_URL must start with smtp:// or smtps://") != std::string::npos);
  BOOST_TEST(count(conn, "SELECT count(*)::int FROM examq_workers") == 0);  // neither got as far as registering
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_and_help_exits_0) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"show", "not-a-uuid"},
           {"submit", kSample, "--priority", "urgent"},
           {"submit", kSample, "--priority", "5000"},
           {"jobs", "--status", "bogus"},
           {"questions"},
           {"nosuchcommand"}}) {
    CliResult r = run_examq(args, kEnv);
    BOOST_TEST_INFO(args.front() + ": " + describe(r));
    BOOST_TEST(r.exit_code == 2);
  }
  for (const char* sub : {"up", "down", "status", "workers", "migrate", "submit", "watch", "jobs", "show", "retry",
                          "cancel", "stats", "questions", "pages"}) {
    CliResult r = run_examq({sub, "--help"}, kEnv);
    BOOST_TEST_INFO(sub);
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.find("Usage:") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(local_cluster)

BOOST_AUTO_TEST_CASE(up_creates_a_cluster_others_find_and_down_stops_it) {
  LocalHome local;
  const auto& env = local.env;

  tao::json::value up = parse(run_examq({"up", "--json"}, env));
  BOOST_TEST(up.at("created").get_boolean());
  BOOST_TEST(up.at("schema_version").as<int>() >= 2);
  tao::json::value again = parse(run_examq({"up", "--json"}, env));  // idempotent
  BOOST_TEST(!again.at("created").get_boolean());
  BOOST_TEST(!again.at("started").get_boolean());
  BOOST_TEST(again.at("connection").get_string() == up.at("connection").get_string());

  // No --db: status (and any other subcommand) finds the recorded connection before PG*.
  tao::json::value status = parse(run_examq({"status", "--json"}, env));
  BOOST_TEST(status.at("local_cluster").at("running").get_boolean());
  BOOST_TEST(status.at("schema_version").as<int>() == up.at("schema_version").as<int>());
  BOOST_TEST(status.at("server").get_string().find("examq on PostgreSQL") == 0);
  examq::pg::Connection conn(up.at("connection").get_string());
  BOOST_TEST(count(conn, "SELECT count(*)::int FROM processing_jobs") == 0);

  CliResult stopped = run_examq({"down"}, env);
  BOOST_TEST_INFO(describe(stopped));
  BOOST_TEST(stopped.exit_code == 0);
  tao::json::value after = tao::json::from_string(run_examq({"status", "--json"}, env).out);
  BOOST_TEST(!after.at("local_cluster").at("running").get_boolean());
  BOOST_TEST(run_examq({"jobs"}, env).exit_code == 1);  // recorded, but down
}

BOOST_AUTO_TEST_CASE(worker_detach_returns_once_registered_refuses_a_second_and_down_stops_it) {
  TestDatabase db("cli_detach");
  LocalHome local;
  const auto& env = local.env;
  const TempDir& home = local.dir;

  CliResult started = run_examq({"worker", "--detach", "--db", db.conninfo(), "--worker-id", "cli-detached",
                                 "--job-types", "noop", "--concurrency", "1", "--shutdown-grace", "2s"},
                                env, std::chrono::seconds(60));
  BOOST_TEST_INFO(describe(started));
  BOOST_REQUIRE_EQUAL(started.exit_code, 0);
  BOOST_TEST(started.out.find("log " + home.path + "/worker.log") != std::string::npos);
  const int pid = recorded_pid(home.path);
  BOOST_REQUIRE(pid > 0);
  BOOST_TEST(started.out.find("pid " + std::to_string(pid)) != std::string::npos);
  // Returned only once registered: the registry lists it already, no waiting here.
  tao::json::value workers = parse(examq_on(db, {"workers", "--json"}));
  BOOST_REQUIRE_EQUAL(workers.get_array().size(), 1u);
  BOOST_TEST(workers[0].at("worker_id").get_string() == "cli-detached");
  BOOST_TEST(workers[0].at("pid").as<int>() == pid);

  // It runs jobs with no terminal attached, and logs to the file.
  auto conn = db.connect();
  const std::string id = insert_job(conn, "noop", "{}");
  JobWatcher watcher(db.conninfo());
  BOOST_TEST(watcher.wait_until([&](examq::pg::Connection& c) { return job_field(c, id, "status") == "completed"; },
                                std::chrono::seconds(30)));

  CliResult second = run_examq({"worker", "--detach", "--db", db.conninfo()}, env, std::chrono::seconds(60));
  BOOST_TEST_INFO(describe(second));
  BOOST_TEST(second.exit_code == 1);
  BOOST_TEST(second.err.find("already running") != std::string::npos);
  BOOST_TEST(second.err.find("pid " + std::to_string(pid)) != std::string::npos);
  BOOST_TEST(parse(examq_on(db, {"workers", "--json"})).get_array().size() == 1u);

  CliResult status = run_examq({"status", "--db", db.conninfo()}, env);
  BOOST_TEST(status.out.find("background worker: pid " + std::to_string(pid) + ", log " + home.path + "/worker.log") !=
                 std::string::npos,
             status.out);

  CliResult stopped = run_examq({"down"}, env);
  BOOST_TEST_INFO(describe(stopped));
  BOOST_TEST(stopped.exit_code == 0);
  BOOST_TEST(stopped.out.find("worker " + std::to_string(pid) + " stopped") != std::string::npos);
  BOOST_TEST(!process_alive(pid));
  // Read once it has exited: the job's log line may follow the row's change by a moment.
  std::ifstream log(home.path + "/worker.log");
  const std::string log_text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  BOOST_TEST(log_text.find("job.completed job_id=" + id) != std::string::npos, log_text);
  tao::json::value all = parse(examq_on(db, {"workers", "--all", "--json"}));
  BOOST_REQUIRE_EQUAL(all.get_array().size(), 1u);
  BOOST_TEST(all[0].at("state").get_string() == "stopped");  // a clean SIGTERM, not a kill
  BOOST_TEST(run_examq({"status", "--db", db.conninfo()}, env).out.find("background worker") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(worker_detach_that_fails_at_start_reports_its_log_and_leaves_no_worker) {
  TestDatabase db("cli_detach_fail");
  TempDir home;
  const std::vector<std::pair<std::string, std::string>> env = {
      {"EXAMQ_HOME", home.path}, {"EXAMQ_DB", ""}, {"DATABASE_URL", ""}};
  // An unknown job type is refused by the worker itself, in the background: the starter says so.
  CliResult failed = run_examq({"worker", "--detach", "--db", db.conninfo(), "--job-types", "noop,no-such-type"}, env,
                               std::chrono::seconds(60));
  BOOST_TEST_INFO(describe(failed));
  BOOST_TEST(failed.exit_code == 1);
  BOOST_TEST(failed.err.find("exited (code 2) before it was ready") != std::string::npos);
  BOOST_TEST(failed.err.find("no handler for no-such-type") != std::string::npos);
  BOOST_TEST(!fs::exists(home.path + "/worker.pid"));
  BOOST_TEST(run_examq({"status", "--db", db.conninfo()}, env).out.find("background worker") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(up_worker_from_a_relative_home_is_found_from_subdirectories_and_by_absolute_path_anywhere) {
  TempDir root;
  const std::string home = root.path + "/.examq";
  fs::create_directories(root.path + "/sub/deeper");
  // No PG* settings: a command that fails to find the cluster must not reach another server.
  const std::vector<std::pair<std::string, std::string>> clean = {
      {"EXAMQ_DB", ""}, {"DATABASE_URL", ""}, {"PGHOST", ""}, {"PGPORT", ""}, {"PGDATABASE", ""}, {"PGUSER", ""}};
  auto with_home = [&](const std::string& value) {
    auto env = clean;
    env.emplace_back("EXAMQ_HOME", value);
    return env;
  };
  struct Down {
    std::vector<std::pair<std::string, std::string>> env;
    ~Down() { run_examq({"down"}, env); }
  } down{with_home(home)};

  CliResult up = run_examq_in(root.path, {"up", "--worker", "--worker-id", "cli-up-worker", "--concurrency", "1"},
                              with_home(".examq"));
  BOOST_TEST_INFO(describe(up));
  BOOST_REQUIRE_EQUAL(up.exit_code, 0);
  BOOST_TEST(up.out.find("(recorded in " + home + "/connection)") != std::string::npos);
  BOOST_TEST(up.out.find("set EXAMQ_HOME=" + home) != std::string::npos);
  const int pid = recorded_pid(home);
  BOOST_REQUIRE(pid > 0);
  BOOST_TEST(up.out.find("worker:     pid " + std::to_string(pid) + " (started), log " + home + "/worker.log") !=
             std::string::npos);

  // From a subdirectory, relative or default EXAMQ_HOME: the cluster above is found.
  for (const auto& env : {with_home(".examq"), with_home("")}) {
    tao::json::value status = parse(run_examq_in(root.path + "/sub/deeper", {"status", "--json"}, env));
    BOOST_TEST(status.at("local_cluster").at("home").get_string() == home);
    BOOST_TEST(status.at("local_cluster").at("background_worker_pid").as<int>() == pid);
    BOOST_TEST((status.at("workers") == tao::json::value::array({"cli-up-worker"})));
  }
  // From an unrelated directory a relative EXAMQ_HOME names nothing: said, not silently ignored.
  CliResult elsewhere = run_examq_in("/", {"jobs"}, with_home(".examq"));
  BOOST_TEST_INFO(describe(elsewhere));
  BOOST_TEST(elsewhere.exit_code == 1);
  BOOST_TEST(elsewhere.err.find("no cluster recorded in /.examq (EXAMQ_HOME=.examq)") != std::string::npos);
  // The absolute path works from anywhere.
  BOOST_TEST(parse(run_examq_in("/", {"status", "--json"}, with_home(home))).at("schema_version").as<int>() >= 8);

  // up again keeps the running worker rather than starting a second one.
  CliResult again = run_examq_in(root.path, {"up", "--worker"}, with_home(".examq"));
  BOOST_TEST_INFO(describe(again));
  BOOST_TEST(again.exit_code == 0);
  BOOST_TEST(again.out.find("pid " + std::to_string(pid) + " (already running)") != std::string::npos);

  CliResult stopped = run_examq_in("/", {"down"}, with_home(home));
  BOOST_TEST_INFO(describe(stopped));
  BOOST_TEST(stopped.out.find("worker " + std::to_string(pid) + " stopped\nPostgreSQL in " + home + "/pg stopped") !=
             std::string::npos);
  BOOST_TEST(!process_alive(pid));
}

BOOST_AUTO_TEST_CASE(watch_reconnects_after_the_server_restarts_and_reads_the_rows_again) {
  LocalHome local;
  const auto& env = local.env;
  const std::string conninfo = parse(run_examq({"up", "--json"}, env)).at("connection").get_string();
  std::string id;
  {
    examq::pg::Connection conn(conninfo);
    id = insert_job(conn, "noop", "{}");
  }

  CliResult watched;
  std::thread watch([&] { watched = run_examq({"watch", id}, env); });
  {
    // Restart once the watch is listening (its session idle after the first read).
    JobWatcher watcher(conninfo);
    BOOST_REQUIRE(watcher.wait_until(
        [](examq::pg::Connection& c) {
          return c.exec("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = 'examq watch' "
                        "AND state = 'idle'").get<int>(0, 0) == 1;
        },
        std::chrono::seconds(30)));
  }
  BOOST_TEST(run_examq({"down"}, env).exit_code == 0);
  BOOST_TEST(run_examq({"up"}, env).exit_code == 0);
  // Cancelled while the watch may still be reconnecting: it must learn it from the rows.
  BOOST_TEST(run_examq({"cancel", id}, env).exit_code == 0);
  watch.join();
  BOOST_TEST_INFO(describe(watched));
  BOOST_TEST(watched.exit_code == 1);
  BOOST_TEST(watched.out.find("connection lost") != std::string::npos);
  BOOST_TEST(watched.out.find("reconnected") != std::string::npos);
  BOOST_TEST(watched.out.find("1 cancelled") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 20: the CLI never leaves you guessing. Ids by prefix, jobs you can find by paper, title,
// batch and age, questions as CSV, the stored page images, and the messages that were wrong.
BOOST_AUTO_TEST_SUITE(cli_lookups)

const std::string kJobA = "abcd1234-0000-4000-8000-000000000001";
const std::string kJobB = "abcd1234-0000-4000-8000-000000000002";
const std::string kJobC = "abce0000-0000-4000-8000-000000000003";

BOOST_AUTO_TEST_CASE(job_ids_are_accepted_by_unique_prefix_and_an_ambiguous_one_lists_the_candidates) {
  TestDatabase db("cli_prefix");
  auto conn = db.connect();
  conn.exec("INSERT INTO processing_jobs (id, job_type) VALUES ($1::uuid, 'noop'), ($2::uuid, 'noop'), ($3::uuid, 'noop')",
            kJobA, kJobB, kJobC);

  // show, by the 8 characters watch prints, and by 4.
  BOOST_TEST(parse(examq_on(db, {"show", "abce0000", "--json"})).at("id").get_string() == kJobC);
  BOOST_TEST(parse(examq_on(db, {"show", "ABCE", "--json"})).at("id").get_string() == kJobC);

  CliResult ambiguous = examq_on(db, {"show", "abcd"});
  BOOST_TEST_INFO(describe(ambiguous));
  BOOST_TEST(ambiguous.exit_code == 1);
  BOOST_TEST(ambiguous.err.find("job id prefix abcd is ambiguous: it matches 2 jobs: " + kJobA + " (noop, pending, ") !=
             std::string::npos);
  BOOST_TEST(ambiguous.err.find(kJobB + " (noop, pending, ") != std::string::npos);

  CliResult short_prefix = examq_on(db, {"show", "abc"});
  BOOST_TEST_INFO(describe(short_prefix));
  BOOST_TEST(short_prefix.exit_code == 2);
  BOOST_TEST(short_prefix.err.find("at least 4 hex digits") != std::string::npos);

  CliResult none = examq_on(db, {"show", "ffff"});
  BOOST_TEST_INFO(describe(none));
  BOOST_TEST(none.exit_code == 1);
  BOOST_TEST(none.err.find("no job ffff") != std::string::npos);

  // cancel, watch and retry take prefixes too (dashes and all).
  BOOST_TEST(parse(examq_on(db, {"cancel", "abcd1234-0000-4000-8000-000000000002", "--json"})).at("id").get_string() == kJobB);
  BOOST_TEST(parse(examq_on(db, {"cancel", "abce", "--json"})).at("status").get_string() == "cancelled");
  CliResult watched = examq_on(db, {"watch", "abce0000"});
  BOOST_TEST_INFO(describe(watched));
  BOOST_TEST(watched.exit_code == 1);
  BOOST_TEST(watched.out.find("1 cancelled") != std::string::npos);
  BOOST_TEST(parse(examq_on(db, {"retry", "abce0000", "--json"})).at("status").get_string() == "pending");
  BOOST_TEST(job_field(conn, kJobC, "status") == "pending");
  BOOST_TEST(examq_on(db, {"retry", "abcd"}).exit_code == 1);  // ambiguous: nothing retried
  BOOST_TEST(job_field(conn, kJobB, "status") == "cancelled");

  // Papers by prefix for questions.
  conn.exec("INSERT INTO exam_papers (id, title) VALUES ('0bad0000-0000-4000-8000-000000000001', 'Prefix paper')");
  CliResult questions = examq_on(db, {"questions", "0bad", "--json"});
  BOOST_TEST(parse(questions).at("exam_paper").at("title").get_string() == "Prefix paper");
}

BOOST_AUTO_TEST_CASE(jobs_filters_by_paper_title_batch_and_since_and_shows_each_papers_file_and_title) {
  TestDatabase db("cli_jobs_filters");
  auto conn = db.connect();
  tao::json::value two = parse(examq_on(db, {"submit", kSample, kSample, "--title", "Physics sample", "--json"}));
  tao::json::value one = parse(examq_on(db, {"submit", kSample, "--json"}));
  BOOST_REQUIRE_EQUAL(two.get_array().size(), 2u);
  const std::string batch = two[0].at("batch").get_string();
  BOOST_TEST(two[1].at("batch").get_string() == batch);  // one submit, one batch
  BOOST_TEST(one[0].at("batch").get_string() != batch);
  // The estimate uses the paper's 6 pages at the default 3 s a page (no history), not 10 pages.
  BOOST_TEST(two[0].at("estimated_time").as<int>() == 18);

  tao::json::value batched = parse(examq_on(db, {"jobs", "--batch", batch, "--json"}));
  BOOST_REQUIRE_EQUAL(batched.get_array().size(), 2u);
  for (const auto& j : batched.get_array()) {
    BOOST_TEST(j.at("batch").get_string() == batch);
    BOOST_TEST(j.at("title").get_string() == "Physics sample");
    BOOST_TEST(j.at("filename").get_string() == "sample-exam-paper.pdf");
    BOOST_TEST(j.at("run_at").is_string());
    BOOST_TEST(j.at("run_in_seconds").is_null());  // due now
  }
  BOOST_TEST(parse(examq_on(db, {"jobs", "--batch", batch.substr(0, 8), "--json"})).get_array().size() == 2u);
  BOOST_TEST(parse(examq_on(db, {"jobs", "--title", "PHYSICS", "--json"})).get_array().size() == 2u);
  BOOST_TEST(parse(examq_on(db, {"jobs", "--title", "sample-exam", "--json"})).get_array().size() == 1u);
  const std::string paper = one[0].at("exam_paper_id").get_string();
  tao::json::value of_paper = parse(examq_on(db, {"jobs", "--paper", paper.substr(0, 8), "--json"}));
  BOOST_REQUIRE_EQUAL(of_paper.get_array().size(), 1u);
  BOOST_TEST(of_paper[0].at("id").get_string() == one[0].at("job_id").get_string());
  BOOST_TEST(parse(examq_on(db, {"jobs", "--since", "1h", "--json"})).get_array().size() == 3u);
  BOOST_TEST(parse(examq_on(db, {"jobs", "--since", "2000-01-01", "--json"})).get_array().size() == 3u);
  BOOST_TEST(parse(examq_on(db, {"jobs", "--since", "2999-01-01 12:00", "--json"})).get_array().empty());
  conn.exec("UPDATE processing_jobs SET created_at = now() - interval '2 hours' WHERE id = $1::uuid",
            one[0].at("job_id").get_string());
  BOOST_TEST(parse(examq_on(db, {"jobs", "--since", "1h", "--json"})).get_array().size() == 2u);
  BOOST_TEST(parse(examq_on(db, {"jobs", "--since", "1h", "--title", "physics", "--batch", batch, "--status", "pending",
                                 "--json"}))
                 .get_array()
                 .size() == 2u);
  CliResult bad_since = examq_on(db, {"jobs", "--since", "yesterday-ish"});
  BOOST_TEST_INFO(describe(bad_since));
  BOOST_TEST(bad_since.exit_code == 2);
  BOOST_TEST(bad_since.err.find("--since") != std::string::npos);

  // The table names the paper: title and file, or only the file when the title is its name.
  CliResult table = examq_on(db, {"jobs"});
  BOOST_TEST_INFO(describe(table));
  BOOST_TEST(table.out.find("PAPER") != std::string::npos);
  BOOST_TEST(table.out.find("  Physics sample (sample-exam-paper.pdf)  ") != std::string::npos);
  BOOST_TEST(table.out.find("  sample-exam-paper.pdf  ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_job_waiting_for_its_run_at_says_how_long_in_jobs_and_show) {
  TestDatabase db("cli_run_at");
  auto conn = db.connect();
  const std::string id = insert_job(conn, "noop", "{}");
  conn.exec("UPDATE processing_jobs SET run_at = now() + interval '35 seconds', retry_count = 1, "
            "error_message = 'server closed the connection' WHERE id = $1::uuid", id);
  const std::string fresh = insert_job(conn, "noop", "{}");

  tao::json::value jobs = parse(examq_on(db, {"jobs", "--json"}));
  for (const auto& j : jobs.get_array()) {
    if (j.at("id").get_string() == id) {
      BOOST_TEST(j.at("run_in_seconds").as<double>() > 30.0);
      BOOST_TEST(j.at("run_in_seconds").as<double>() <= 35.0);
    } else {
      BOOST_TEST(j.at("run_in_seconds").is_null());
    }
  }
  CliResult table = examq_on(db, {"jobs"});
  BOOST_TEST_INFO(describe(table));
  BOOST_TEST(std::regex_search(table.out, std::regex(id + "  noop  pending, retry in 3[0-5] s ")));
  BOOST_TEST(std::regex_search(table.out, std::regex(fresh + "  noop  pending  ")));
  CliResult shown = examq_on(db, {"show", id});
  BOOST_TEST_INFO(describe(shown));
  BOOST_TEST(std::regex_search(shown.out, std::regex("\nrun at +[^\n]+  \\(retry in 3[0-5] s\\)\n")));
  BOOST_TEST(examq_on(db, {"show", fresh}).out.find("retry in") == std::string::npos);
  BOOST_TEST(parse(examq_on(db, {"show", id, "--json"})).at("run_in_seconds").as<double>() > 30.0);
}

BOOST_AUTO_TEST_CASE(questions_csv_quotes_as_rfc_4180_and_a_failed_paper_says_its_job_failed) {
  TestDatabase db("cli_questions_csv");
  auto conn = db.connect();
  const std::string paper =
      conn.exec("INSERT INTO exam_papers (title) VALUES ('CSV paper') RETURNING id::text").get<std::string>(0, 0);
  conn.exec("INSERT INTO questions (exam_paper_id, question_number, parent_number, position, text, marks, page_number, "
            "source, topic_ids) VALUES "
            "($1::uuid, '1', NULL, 1, 'Plain text', 2, 1, 'text', '{}'),"
            "($1::uuid, '1(a)', '1', 2, $2, NULL, 2, 'ocr', "
            "'{00000000-0000-0000-0000-00000000000a,00000000-0000-0000-0000-00000000000b}')",
            paper, std::string("Say \"hello\", then\nwrite it down"));
  // topic_codes: a code with a comma is quoted; a topic without a code shows its title.
  conn.exec("INSERT INTO syllabus_topics (id, syllabus_id, code, title) VALUES "
            "('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000005a1', 'T,1', 'Energy'), "
            "('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000005a1', NULL, 'Waves')");
  CliResult csv = examq_on(db, {"questions", paper, "--csv"});
  BOOST_TEST_INFO(describe(csv));
  BOOST_TEST(csv.exit_code == 0);
  BOOST_TEST(csv.out ==
             "position,question_number,parent_number,text,marks,page_number,source,topic_ids,topic_codes\r\n"
             "1,1,,Plain text,2,1,text,,\r\n"
             "2,1(a),1,\"Say \"\"hello\"\", then\nwrite it down\",,2,ocr,"
             "00000000-0000-0000-0000-00000000000a;00000000-0000-0000-0000-00000000000b,\"T,1;Waves\"\r\n");
  BOOST_TEST(examq_on(db, {"questions", paper, "--csv", "--json"}).exit_code == 2);

  // A paper whose job failed says so, with the error, instead of "none yet".
  const std::string failed_paper =
      conn.exec("INSERT INTO exam_papers (title) VALUES ('Broken paper') RETURNING id::text").get<std::string>(0, 0);
  const std::string job = insert_job(conn, "process-exam-paper", "{}");
  conn.exec("UPDATE processing_jobs SET status = 'failed', completed_at = now(), exam_paper_id = $2::uuid, "
            "error_message = 'the PDF is encrypted' WHERE id = $1::uuid",
            job, failed_paper);
  CliResult failed = examq_on(db, {"questions", failed_paper});
  BOOST_TEST_INFO(describe(failed));
  BOOST_TEST(failed.exit_code == 0);
  BOOST_TEST(failed.out.find("(none: its job " + job + " failed: the PDF is encrypted") != std::string::npos);
  BOOST_TEST(failed.out.find("none yet") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(pages_writes_each_stored_page_image_named_by_its_number) {
  TestDatabase db("cli_pages");
  auto conn = db.connect();
  const std::string paper =
      conn.exec("INSERT INTO exam_papers (title) VALUES ('Pages paper') RETURNING id::text").get<std::string>(0, 0);
  conn.exec("INSERT INTO exam_paper_pages (exam_paper_id, page_number, width, height, dpi, jpeg) VALUES "
            "($1::uuid, 1, 10, 10, 150, '\\xffd8ff01'), ($1::uuid, 2, 10, 10, 150, '\\xffd8ff0200ff'),"
            "($1::uuid, 10, 10, 10, 150, '\\xffd8ff10')",
            paper);
  TempDir dir;
  const std::string out = dir.path + "/new/pages";  // made when missing
  CliResult r = examq_on(db, {"pages", paper.substr(0, 8), "--out", out});
  BOOST_TEST_INFO(describe(r));
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_TEST(r.out.find("wrote 3 page images") != std::string::npos);
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  BOOST_TEST(read(out + "/page-001.jpg") == std::string("\xff\xd8\xff\x01", 4));
  BOOST_TEST(read(out + "/page-002.jpg") == std::string("\xff\xd8\xff\x02\x00\xff", 6));
  BOOST_TEST(read(out + "/page-010.jpg") == std::string("\xff\xd8\xff\x10", 4));
  BOOST_TEST(std::distance(fs::directory_iterator(out), fs::directory_iterator()) == 3);

  const std::string empty =
      conn.exec("INSERT INTO exam_papers (title) VALUES ('Unrendered') RETURNING id::text").get<std::string>(0, 0);
  CliResult none = examq_on(db, {"pages", empty, "--out", dir.path + "/none"});
  BOOST_TEST_INFO(describe(none));
  BOOST_TEST(none.exit_code == 1);
  BOOST_TEST(none.err.find("has no page images stored") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(submit_reports_every_bad_file_and_a_directory_as_one_and_sends_nothing) {
  TestDatabase db("cli_bad_files");
  auto conn = db.connect();
  TempDir dir;
  const std::string text = dir.path + "/notes.pdf";
  std::ofstream(text) << "these are not the droids\n";
  CliResult r = examq_on(db, {"submit", kSample, "/nonexistent/paper.pdf", text, dir.path});
  BOOST_TEST_INFO(describe(r));
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("examq submit: /nonexistent/paper.pdf: cannot read") != std::string::npos);
  BOOST_TEST(r.err.find("examq submit: " + text + ": file is not a PDF") != std::string::npos);
  BOOST_TEST(r.err.find("examq submit: " + dir.path + ": is a directory") != std::string::npos);
  BOOST_TEST(r.err.find("file is empty") == std::string::npos);
  BOOST_TEST(r.err.find("3 of 4 files cannot be submitted: nothing submitted") != std::string::npos);
  BOOST_TEST(count(conn, "SELECT count(*)::int FROM exam_papers") == 0);
  BOOST_TEST(count(conn, "SELECT count(*)::int FROM processing_jobs") == 0);
}

BOOST_AUTO_TEST_CASE(usage_messages_name_what_was_wrong) {
  CliResult unknown = run_examq({"frobnicate"}, kEnv);
  BOOST_TEST_INFO(describe(unknown));
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(unknown.err.find("unknown subcommand 'frobnicate'") != std::string::npos);
  BOOST_TEST(unknown.err.find("submit") != std::string::npos);
  BOOST_TEST(unknown.err.find("pages") != std::string::npos);
  BOOST_TEST(unknown.err.find("A subcommand is required") == std::string::npos);

  CliResult priority = run_examq({"submit", kSample, "--priority", "urgent"}, kEnv);
  BOOST_TEST_INFO(describe(priority));
  BOOST_TEST(priority.exit_code == 2);
  BOOST_TEST(priority.err.find("--priority: --priority") == std::string::npos);
  BOOST_TEST(priority.err.find("must be high, normal, low or an integer in -1000..1000, not 'urgent'") != std::string::npos);

  // A bare word is not taken as a database name.
  CliResult db = run_examq({"jobs", "--db", "localhost"}, kEnv);
  BOOST_TEST_INFO(describe(db));
  BOOST_TEST(db.exit_code == 2);
  BOOST_TEST(db.err.find("dbname=localhost") != std::string::npos);
  for (const char* accepted : {"postgres://127.0.0.1:1/x?connect_timeout=1", "postgresql://127.0.0.1:1/x?connect_timeout=1",
                               "host=127.0.0.1 port=1 connect_timeout=1"}) {
    CliResult r = run_examq({"jobs", "--db", accepted}, kEnv);
    BOOST_TEST_INFO(accepted << "\n" << describe(r));
    BOOST_TEST(r.exit_code == 1);  // accepted, then the connection fails
  }
}

BOOST_AUTO_TEST_SUITE_END()
