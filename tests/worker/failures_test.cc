#define BOOST_TEST_MODULE worker_failures
#include "job_watcher.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <signal.h>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {
// Retries at once, so the tests do not wait out the backoff.
void retry_at_once(TestDatabase& db) {
  pg::Connection admin = db.connect();
  std::string sql = "ALTER DATABASE " + admin.quote_identifier(db.name()) + " SET examq.retry_backoff_base = '0'";
  admin.exec(sql.c_str());
}
}  // namespace

BOOST_AUTO_TEST_CASE(transient_and_critical_failures_follow_the_retry_rules) {
  TestDatabase db("failures");
  retry_at_once(db);
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();

  const std::string always_transient = insert_job(conn, "noop", R"({"fail": "transient"})", 0, 2);
  const std::string critical = insert_job(conn, "noop", R"({"fail": "critical"})", 0, 3);
  const std::string transient_once = insert_job(conn, "noop", R"({"fail": "transient", "fail_attempts": 1})", 0, 3);
  const std::string exception_twice = insert_job(conn, "noop", R"({"fail": "exception", "fail_attempts": 2})", 0, 3);
  const std::string unknown_type = insert_job(conn, "no-such-type", "{}", 0, 3);
  const std::string bad_payload = insert_job(conn, "noop", R"({"sleep_ms": "soon"})", 0, 3);
  const std::string snoozed_once = insert_job(conn, "noop", R"({"fail": "snooze", "fail_attempts": 1, "snooze_ms": 0})", 0, 0);

  WorkerProcess worker(db.conninfo(), "failures-test", {"--concurrency", "2"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [](pg::Connection& c) {
                              return c.exec("SELECT count(*) = 0 FROM processing_jobs WHERE status IN ('pending', 'processing')")
                                  .get<bool>(0, 0);
                            },
                            90s),
                        "jobs did not settle; log:\n" + worker.log());

  struct Expect {
    std::string id, status, retry_count, attempts, error;
  };
  const std::vector<Expect> expected = {
      {always_transient, "failed", "2", "3", "noop: transient failure requested"},
      {critical, "failed", "0", "1", "noop: critical failure requested"},
      {transient_once, "completed", "1", "2", "noop: transient failure requested"},
      {exception_twice, "completed", "2", "3", "noop: exception requested"},
      {unknown_type, "failed", "0", "1", "no handler for job type no-such-type"},
      {bad_payload, "failed", "0", "1", "noop: invalid payload: sleep_ms must be an integer"},
      // A snooze uses no retry (this job has none) and records no error.
      {snoozed_once, "completed", "0", "2", "<NULL>"},
  };
  for (const Expect& e : expected) {
    BOOST_TEST_CONTEXT("job " << e.id << " (" << e.error << ")") {
      BOOST_TEST(job_field(conn, e.id, "status") == e.status);
      BOOST_TEST(job_field(conn, e.id, "retry_count") == e.retry_count);
      BOOST_TEST(job_field(conn, e.id, "attempts") == e.attempts);
      // A job that completed after failing keeps its last error for the record.
      BOOST_TEST(job_field(conn, e.id, "error_message") == e.error);
    }
  }
  BOOST_TEST(worker.running(), "a failing job took the worker down");
  // The log is complete once the worker has exited (it batches lines under load).
  worker.signal(SIGTERM);
  BOOST_TEST(worker.wait_exit(30s).has_value());
  const std::string log = worker.log();
  BOOST_TEST(log.find("job.retrying job_id=" + always_transient) != std::string::npos);
  BOOST_TEST(log.find("job.failed job_id=" + critical) != std::string::npos);
  BOOST_TEST(log.find("job.completed job_id=" + transient_once) != std::string::npos);
  BOOST_TEST(log.find("job.snoozed job_id=" + snoozed_once) != std::string::npos);
}

// sql/0018: a noop job asked to log its execution leaves one row, for the attempt that completed
// it; an attempt that failed leaves none (the row is written in the completion transaction).
BOOST_AUTO_TEST_CASE(a_noop_job_logs_only_the_attempt_that_completed_it) {
  TestDatabase db("noop_log");
  retry_at_once(db);
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();

  const std::string logged = insert_job(conn, "noop", R"({"log_execution": true, "steps": 2})", 0, 3);
  const std::string failed_first = insert_job(conn, "noop", R"({"log_execution": true, "fail": "transient", "fail_attempts": 1})", 0, 3);
  const std::string failed_always = insert_job(conn, "noop", R"({"log_execution": true, "fail": "critical"})", 0, 3);
  const std::string not_asked = insert_job(conn, "noop", R"({"log_execution": false})", 0, 3);
  const std::string bad_flag = insert_job(conn, "noop", R"({"log_execution": "yes"})", 0, 3);

  WorkerProcess worker(db.conninfo(), "noop-log-test", {"--concurrency", "2"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [](pg::Connection& c) {
                              return c.exec("SELECT count(*) = 0 FROM processing_jobs WHERE status IN ('pending', 'processing')")
                                  .get<bool>(0, 0);
                            },
                            90s),
                        "jobs did not settle; log:\n" + worker.log());

  auto rows = [&](const std::string& id) {
    return conn.exec("SELECT coalesce(string_agg(attempt || ' ' || worker_id, ',' ORDER BY attempt), '') "
                     "FROM examq_noop_executions WHERE job_id = $1::uuid",
                     id)
        .get<std::string>(0, 0);
  };
  BOOST_TEST(job_field(conn, logged, "status") == "completed");
  BOOST_TEST(rows(logged) == "1 noop-log-test");
  BOOST_TEST(job_field(conn, failed_first, "status") == "completed");
  BOOST_TEST(job_field(conn, failed_first, "attempts") == "2");
  BOOST_TEST(rows(failed_first) == "2 noop-log-test", "only the completing attempt is logged");
  BOOST_TEST(job_field(conn, failed_always, "status") == "failed");
  BOOST_TEST(rows(failed_always) == "");
  BOOST_TEST(job_field(conn, not_asked, "status") == "completed");
  BOOST_TEST(rows(not_asked) == "");
  BOOST_TEST(job_field(conn, bad_flag, "status") == "failed");
  BOOST_TEST(job_field(conn, bad_flag, "error_message") == "noop: invalid payload: log_execution must be true or false");
  BOOST_TEST(rows(bad_flag) == "");
}
