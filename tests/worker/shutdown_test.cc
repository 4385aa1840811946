#define BOOST_TEST_MODULE worker_shutdown
#include "job_watcher.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <signal.h>
#include <sys/wait.h>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

struct Queue {
  TestDatabase db{"shutdown"};
  JobWatcher watcher{db.conninfo()};
  pg::Connection& conn = watcher.conn();

  bool wait_for(const std::string& id, const std::string& column, const std::string& value) {
    return watcher.wait_until([&](pg::Connection& c) { return job_field(c, id, column) == value; }, 60s);
  }
};

bool exited_with(const std::optional<int>& status, int code) {
  return status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == code;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(shutdown, Queue)

BOOST_AUTO_TEST_CASE(sigterm_hands_back_unfinished_jobs_and_exits_zero) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(insert_job(conn, "noop", R"({"sleep_ms": 600000, "steps": 600})"));
  WorkerProcess worker(db.conninfo(), "term-long", {"--concurrency", "3", "--shutdown-grace", "1s"});
  BOOST_REQUIRE(watcher.wait_until([](pg::Connection& c) { return count_status(c, "processing") == 3; }, 60s));

  worker.signal(SIGTERM);
  auto status = worker.wait_exit(30s);
  BOOST_TEST_REQUIRE(status.has_value(), "worker did not exit; log:\n" + worker.log());
  BOOST_TEST(exited_with(status, 0), "log:\n" + worker.log());
  const std::string log = worker.log();
  for (const std::string& id : ids) {
    BOOST_TEST_CONTEXT("job " << id) {
      // Back to pending at once, without using a retry.
      BOOST_TEST(job_field(conn, id, "status") == "pending");
      BOOST_TEST(job_field(conn, id, "retry_count") == "0");
      BOOST_TEST(job_field(conn, id, "locked_until") == "<NULL>");
      BOOST_TEST(log.find("job.released job_id=" + id) != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(sigterm_lets_a_job_finish_within_the_grace_period) {
  const std::string id = insert_job(conn, "noop", R"({"sleep_ms": 2000, "steps": 2})");
  WorkerProcess worker(db.conninfo(), "term-short", {"--shutdown-grace", "60s"});
  BOOST_REQUIRE(wait_for(id, "progress_percentage", "50"));

  worker.signal(SIGINT);
  auto status = worker.wait_exit(60s);
  BOOST_TEST(exited_with(status, 0), "log:\n" + worker.log());
  BOOST_TEST(job_field(conn, id, "status") == "completed");
}

BOOST_AUTO_TEST_CASE(claimed_jobs_not_started_go_back_at_once) {
  // One executor, one long job running, more claimed behind it only if the worker prefetched;
  // either way nothing may stay `processing` after the worker exits.
  insert_job(conn, "noop", R"({"sleep_ms": 600000, "steps": 600})", 10);
  for (int i = 0; i < 5; ++i) insert_job(conn, "noop", R"({"sleep_ms": 600000, "steps": 600})");
  WorkerProcess worker(db.conninfo(), "term-queued", {"--concurrency", "1", "--shutdown-grace", "0"});
  BOOST_REQUIRE(watcher.wait_until([](pg::Connection& c) { return count_status(c, "processing") >= 1; }, 60s));
  worker.signal(SIGTERM);
  BOOST_TEST(exited_with(worker.wait_exit(30s), 0), "log:\n" + worker.log());
  BOOST_TEST(count_status(conn, "processing") == 0);
  BOOST_TEST(count_status(conn, "pending") == 6);
  BOOST_TEST(conn.exec("SELECT sum(retry_count)::integer FROM processing_jobs").get<int>(0, 0) == 0);
}

BOOST_AUTO_TEST_CASE(second_signal_exits_at_once) {
  const std::string id = insert_job(conn, "noop", R"({"sleep_ms": 600000, "steps": 6000})");
  WorkerProcess worker(db.conninfo(), "term-twice", {"--shutdown-grace", "1h"});
  // Running, not only claimed: a job claimed but not yet started goes back at the first signal
  // (claimed_jobs_not_started_go_back_at_once), which is not what this case is about.
  BOOST_REQUIRE(watcher.wait_until([&](pg::Connection& c) { return job_field(c, id, "current_step").starts_with("Step "); },
                                   60s));
  worker.signal(SIGTERM);
  // Signals of one kind do not queue: send the second only once the first has been acted on,
  // which shows as the dispatcher leaving the database.
  BOOST_REQUIRE(watcher.wait_until(
      [](pg::Connection& c) {
        return c.exec("SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'examq dispatcher term-twice'")
            .get<bool>(0, 0);
      },
      30s));
  worker.signal(SIGTERM);
  auto status = worker.wait_exit(30s);
  BOOST_TEST(exited_with(status, 128 + SIGTERM), "log:\n" + worker.log());
  // Nobody handed it back: its lease protects it until it expires.
  BOOST_TEST(job_field(conn, id, "status") == "processing");
}

BOOST_AUTO_TEST_SUITE_END()
