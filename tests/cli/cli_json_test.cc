// Every --json output of the examq binary, produced for real (a real database, a real worker,
// a real private cluster), checked against its schema in docs/schemas by tests/cli/validate_json.py
// (python3-jsonschema). The schemas forbid members they do not name and require the ones that are
// always there, so a renamed or dropped key fails here before a script that reads it does.
#define BOOST_TEST_MODULE cli_json
#include <boost/test/unit_test.hpp>

#include "cli_run.h"
#include "job_watcher.h"
#include "test_database.h"
#include "worker_process.h"

#include <tao/json/from_string.hpp>
#include <tao/json/value.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

using examq::testing::CliResult;
using examq::testing::describe;
using examq::testing::insert_job;
using examq::testing::JobWatcher;
using examq::testing::run_examq;
using examq::testing::run_program;
using examq::testing::TempDir;
using examq::testing::TestDatabase;
using examq::testing::WorkerProcess;

namespace {

const std::string kSource = EXAMQ_SOURCE_DIR;
const std::string kPaper = kSource + "/docs/samples/sample-exam-paper.pdf";
using Env = std::vector<std::pair<std::string, std::string>>;

// Debian's python3 is the one python3-jsonschema is installed for; another python3 may come
// first on PATH.
std::string python() { return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"; }

// What validate_json.py says of `text` against docs/schemas/<schema>.schema.json (one document,
// or with `lines` one per line): "" when valid, its complaints otherwise.
std::string violations(const std::string& schema, const std::string& text, bool lines = false) {
  static TempDir scratch;
  static int n = 0;
  const std::string file = scratch.path + "/" + schema + "-" + std::to_string(++n) + ".json";
  std::ofstream(file) << text;
  std::vector<std::string> argv = {python(), kSource + "/tests/cli/validate_json.py",
                                   kSource + "/docs/schemas/" + schema + ".schema.json", file};
  if (lines) argv.push_back("--lines");
  CliResult r = run_program(argv);
  if (r.exit_code == 0) return "";
  return "validate_json.py exit " + std::to_string(r.exit_code) + ":\n" + r.out + r.err + "--- checked:\n" + text;
}

// A command that succeeds: its stdout matches `schema`, and its stderr says nothing.
tao::json::value expect_valid(const std::string& schema, const CliResult& r) {
  BOOST_TEST_INFO(schema + ": " + describe(r));
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_TEST(violations(schema, r.out) == "");
  return tao::json::from_string(r.out);
}

// A command that fails: exit `code`, nothing on stdout (unless `stdout_schema` says what), and
// one error object on stderr.
tao::json::value expect_error(const CliResult& r, int code, const std::string& stdout_schema = "") {
  BOOST_TEST_INFO(describe(r));
  BOOST_TEST(r.exit_code == code);
  if (stdout_schema.empty()) {
    BOOST_TEST(r.out.empty());
  } else {
    BOOST_TEST(violations(stdout_schema, r.out) == "");
  }
  BOOST_TEST(violations("error", r.err, true) == "");
  BOOST_REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  const tao::json::value error = tao::json::from_string(r.err).at("error");
  BOOST_TEST(error.at("exit_code").as<int>() == code);
  return error;
}

// Runs examq against `db` with no other database in reach.
struct Examq {
  const TestDatabase& db;
  CliResult operator()(std::vector<std::string> args, const Env& extra = {}) const {
    args.insert(args.end(), {"--db", db.conninfo()});
    Env env = {{"EXAMQ_HOME", "/nonexistent/examq-home"}, {"EXAMQ_DB", ""}, {"DATABASE_URL", ""}};
    env.insert(env.end(), extra.begin(), extra.end());
    return run_examq(args, env);
  }
};

bool watch_is_waiting(examq::pg::Connection& c) {
  return c.exec("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = 'examq watch' AND state = 'idle'")
             .get<int>(0, 0) == 1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_schemas)

BOOST_AUTO_TEST_CASE(the_schemas_refuse_a_renamed_key_a_missing_one_and_a_wrong_type) {
  const std::string migrate = R"({"applied": [], "version": 9, "newest_known": 9})";
  BOOST_TEST(violations("migrate", migrate) == "");
  BOOST_TEST(violations("migrate", R"({"applied": [], "version": 9, "newestKnown": 9})") != "");
  BOOST_TEST(violations("migrate", R"({"applied": [], "version": 9})") != "");
  BOOST_TEST(violations("migrate", R"({"applied": [], "version": "9", "newest_known": 9})") != "");
  // Through a reference to another file (retry -> job-row) too.
  BOOST_TEST(violations("retry", R"({"id": "not a job"})") != "");
  BOOST_TEST(violations("error", "{\"error\": {\"command\": \"jobs\", \"message\": \"m\", \"exit_code\": 1, "
                                 "\"sqlstate\": null}}\nnot json\n",
                        true) != "");
}

BOOST_AUTO_TEST_CASE(the_queue_commands_print_what_their_schemas_say) {
  TestDatabase db("cli_json_queue");
  const Examq examq{db};
  auto conn = db.connect();
  JobWatcher watcher(db.conninfo());

  expect_valid("migrate", examq({"migrate", "--json"}));

  // watch --json with no worker yet: it says so, then that one is live, then the job's changes
  // and a summary, one object per line.
  const std::string noop = insert_job(conn, "noop", R"({"sleep_ms": 50, "steps": 2})");
  CliResult watched;
  std::thread watch([&] { watched = examq({"watch", noop, "--json"}); });
  const bool waiting = watcher.wait_until(watch_is_waiting, std::chrono::seconds(60));
  std::optional<WorkerProcess> worker;
  if (waiting) worker.emplace(db.conninfo(), "cli-json", std::vector<std::string>{"--concurrency", "2"});
  watch.join();
  BOOST_REQUIRE(waiting);
  BOOST_TEST_INFO(describe(watched) + "\n--- worker\n" + worker->log());
  BOOST_TEST(watched.exit_code == 0);
  BOOST_TEST(watched.err.empty());
  BOOST_TEST(violations("watch", watched.out, true) == "");
  std::vector<tao::json::value> events;
  std::istringstream lines(watched.out);
  for (std::string line; std::getline(lines, line);) events.push_back(tao::json::from_string(line));
  const auto count = [&](const std::string& event) {
    return std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.at("event") == event; });
  };
  BOOST_TEST(count("no_live_worker") == 1);
  BOOST_TEST(count("worker_live") == 1);
  BOOST_TEST(count("job") >= 2);  // pending, ..., completed
  BOOST_REQUIRE(!events.empty());
  BOOST_TEST(events.back().at("event").get_string() == "summary");
  BOOST_TEST(events.back().at("counts").at("completed").as<int>() == 1);

  // A failing job: watch's summary lists it (exit 1).
  const std::string failing = insert_job(conn, "noop", R"({"sleep_ms": 10, "steps": 1, "fail": "critical"})");
  CliResult failed = examq({"watch", failing, "--json"});
  BOOST_TEST_INFO(describe(failed));
  BOOST_TEST(failed.exit_code == 1);
  BOOST_TEST(violations("watch", failed.out, true) == "");
  BOOST_REQUIRE(!failed.out.empty());
  const std::string last = failed.out.substr(failed.out.rfind('\n', failed.out.size() - 2) + 1);
  BOOST_TEST(tao::json::from_string(last).at("failed").at(0).at("id").get_string() == failing, last);

  // submit --wait --json: the answers on stdout, progress as watch events on stderr.
  CliResult submitted = examq({"submit", kPaper, "--title", "JSON paper", "--wait", "--json"});
  const tao::json::value answers = expect_valid("submit", [&] {
    CliResult quiet = submitted;
    quiet.err.clear();  // checked below as events
    return quiet;
  }());
  BOOST_TEST(violations("watch", submitted.err, true) == "");
  const tao::json::value& answer = answers.at(0);
  BOOST_TEST(answer.at("status").get_string() == "completed");
  const tao::json::value progress = tao::json::from_string(submitted.err.substr(0, submitted.err.find('\n')));
  BOOST_TEST(progress.at("title").get_string() == "JSON paper");
  BOOST_TEST(progress.at("filename").get_string() == "sample-exam-paper.pdf");
  const std::string job = answer.at("job_id").get_string(), paper = answer.at("exam_paper_id").get_string();

  expect_valid("submit", examq({"submit", kPaper, "--json"}));
  expect_valid("jobs", examq({"jobs", "--json"}));
  expect_valid("show", examq({"show", job, "--json"}));
  expect_valid("show", examq({"show", noop, "--json"}));  // no paper: exam_paper null
  expect_valid("questions", examq({"questions", paper, "--json"}));
  // retag --wait --json (the worker runs every type): the job's final state, and the paper's
  // questions with their topics.
  const std::string syllabus = "00000000-0000-0000-0000-00000000c5a1";
  conn.exec("INSERT INTO syllabus_topics (syllabus_id, code, title, description) VALUES ($1::uuid, 'S1', 'Sample topic', "
            "(SELECT string_agg(text, ' ') FROM questions WHERE exam_paper_id = $2::uuid))",
            syllabus, paper);
  CliResult retagged = examq({"retag", paper.substr(0, 8), "--syllabus", syllabus, "--wait", "--json"});
  const tao::json::value retag = expect_valid("retag", [&] {
    CliResult quiet = retagged;
    quiet.err.clear();  // watch events
    return quiet;
  }());
  BOOST_TEST(violations("watch", retagged.err, true) == "");
  BOOST_TEST(retag.at("status").get_string() == "completed");
  BOOST_TEST(retag.at("result").at("tagged").as<int>() >= 1);
  const tao::json::value tagged = expect_valid("questions", examq({"questions", paper, "--json"}));
  BOOST_TEST(tagged.at("questions").at(0).at("topics").at(0).at("code").get_string() == "S1");
  expect_valid("stats", examq({"stats", "--json"}));
  BOOST_TEST(expect_valid("workers", examq({"workers", "--json"})).get_array().size() == 1u);
  expect_valid("status", examq({"status", "--json"}));

  worker->signal(SIGTERM);  // a clean stop: its row stays, state "stopped"
  BOOST_REQUIRE(worker->wait_exit(std::chrono::seconds(30)).has_value());
  expect_valid("workers", examq({"workers", "--all", "--json"}));
  const std::string pending = insert_job(conn, "noop", "{}");
  BOOST_TEST(expect_valid("cancel", examq({"cancel", pending, "--json"})).at("status").get_string() == "cancelled");
  BOOST_TEST(expect_valid("retry", examq({"retry", pending, "--json"})).at("status").get_string() == "pending");
}

BOOST_AUTO_TEST_CASE(watch_batch_json_ends_with_the_batch_line) {
  TestDatabase db("cli_json_watch_batch");
  const Examq examq{db};
  auto conn = db.connect();
  conn.exec("BEGIN");
  const std::string batch = conn.exec("SELECT examq_begin_batch('json batch')::text").get<std::string>(0, 0);
  insert_job(conn, "noop", R"({"sleep_ms": 20, "steps": 1})");
  const std::string failing = insert_job(conn, "noop", R"({"sleep_ms": 20, "steps": 1, "fail": "critical"})");
  conn.exec("COMMIT");
  WorkerProcess worker(db.conninfo(), "cli-json", {"--concurrency", "2"});
  CliResult watched = examq({"watch", "--batch", batch, "--json"});
  BOOST_TEST_INFO(describe(watched));
  BOOST_TEST(watched.exit_code == 1);
  BOOST_TEST(violations("watch", watched.out, true) == "");
  std::vector<tao::json::value> events;
  std::istringstream lines(watched.out);
  for (std::string line; std::getline(lines, line);) events.push_back(tao::json::from_string(line));
  BOOST_REQUIRE(events.size() >= 2u);
  const tao::json::value& last = events.back();
  BOOST_TEST(last.at("event").get_string() == "batch");
  BOOST_TEST(last.at("id").get_string() == batch);
  BOOST_TEST(last.at("label").get_string() == "json batch");
  BOOST_TEST(last.at("state").get_string() == "completed_with_errors");
  BOOST_TEST(last.at("failed").as<int>() == 1);
  BOOST_TEST(events[events.size() - 2].at("event").get_string() == "summary");
  BOOST_TEST(events[events.size() - 2].at("failed").at(0).at("id").get_string() == failing);
}

BOOST_AUTO_TEST_CASE(every_failure_under_json_is_one_error_object_on_stderr) {
  TestDatabase db("cli_json_errors");
  const Examq examq{db};

  // The server's: SQLSTATE and message.
  auto conn = db.connect();
  const std::string done = insert_job(conn, "noop", "{}");
  expect_valid("cancel", examq({"cancel", done, "--json"}));
  tao::json::value error = expect_error(examq({"cancel", done, "--json"}), 1);
  BOOST_TEST(error.at("command").get_string() == "cancel");
  BOOST_TEST(error.at("sqlstate").is_string());

  // examq's own: no SQLSTATE.
  error = expect_error(examq({"show", "00000000-0000-0000-0000-000000000000", "--json"}), 1);
  BOOST_TEST(error.at("message").get_string() == "no job 00000000-0000-0000-0000-000000000000");
  BOOST_TEST(error.at("sqlstate").is_null());
  expect_error(examq({"submit", "/nonexistent/paper.pdf", "--json"}), 1);

  // The command line refused (exit 2), with the subcommand named.
  error = expect_error(examq({"show", "not-a-uuid", "--json"}), 2);
  BOOST_TEST(error.at("command").get_string() == "show");
  expect_error(examq({"jobs", "--status", "bogus", "--json"}), 2);

  // Nobody there: the hint to start one; status still prints itself on stdout.
  const std::string nowhere = "host=127.0.0.1 port=1 connect_timeout=5";
  const Env env = {{"EXAMQ_HOME", "/nonexistent/examq-home"}, {"EXAMQ_DB", ""}, {"DATABASE_URL", ""}};
  for (const char* command : {"jobs", "stats", "workers", "migrate"}) {
    error = expect_error(run_examq({command, "--json", "--db", nowhere}, env), 1);
    BOOST_TEST(error.at("hint").get_string().find("examq up") != std::string::npos);
  }
  CliResult status = run_examq({"status", "--json", "--db", nowhere}, env);
  expect_error(status, 1, "status");
  BOOST_TEST(tao::json::from_string(status.out).at("error").at("message").get_string() ==
             tao::json::from_string(status.err).at("error").at("message").get_string());

  // Text mode is unchanged: "examq SUB: message", nothing JSON.
  CliResult text = examq({"show", "00000000-0000-0000-0000-000000000000"});
  BOOST_TEST(text.exit_code == 1);
  BOOST_TEST(text.err == "examq show: no job 00000000-0000-0000-0000-000000000000\n");
  CliResult usage = examq({"show", "not-a-uuid"});
  BOOST_TEST(usage.exit_code == 2);
  BOOST_TEST(usage.err.rfind("examq show: ", 0) == 0, usage.err);
}

BOOST_AUTO_TEST_CASE(up_status_and_down_print_what_their_schemas_say) {
  TempDir home;
  const Env env = {{"EXAMQ_HOME", home.path}, {"EXAMQ_DB", ""}, {"DATABASE_URL", ""}};
  struct Down {
    const Env& env;
    ~Down() { run_examq({"down"}, env); }
  } down{env};

  expect_valid("up", run_examq({"up", "--json"}, env));
  expect_valid("status", run_examq({"status", "--json"}, env));
  tao::json::value stopped = expect_valid("down", run_examq({"down", "--json"}, env));
  BOOST_TEST(stopped.at("cluster").get_string() == "stopped");
  BOOST_TEST(expect_valid("down", run_examq({"down", "--json"}, env)).at("cluster").get_string() == "not_running");
  expect_error(run_examq({"status", "--json"}, env), 1, "status");
}

BOOST_AUTO_TEST_SUITE_END()
