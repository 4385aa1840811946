#define BOOST_TEST_MODULE worker_claiming
#include "job_watcher.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <signal.h>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

struct Queue {
  TestDatabase db{"claiming"};
  JobWatcher watcher{db.conninfo()};
  pg::Connection& conn = watcher.conn();

  std::function<bool(pg::Connection&)> status_is(const std::string& id, const std::string& status) {
    return [id, status](pg::Connection& c) { return job_field(c, id, "status") == status; };
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(claiming, Queue)

BOOST_AUTO_TEST_CASE(job_inserted_while_idle_starts_without_waiting_for_the_poll) {
  // With an hour between polls, only the NOTIFY can start the second job.
  WorkerProcess worker(db.conninfo(), "notify-test", {"--concurrency", "2", "--poll-interval", "1h"});
  // A backlog first: draining it the dispatcher stops listening (full batches), and must
  // listen again once the queue runs dry.
  conn.exec("INSERT INTO processing_jobs (job_type) SELECT 'noop' FROM generate_series(1, 3000)");
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([](pg::Connection& c) { return count_status(c, "completed") == 3000; }, 60s),
                        "backlog not drained; log:\n" + worker.log());

  // Wait until the dispatcher has claimed again after taking the last of them (and found
  // nothing) and is idle: from now on a new job is seen only through a notification.
  const bool idle = watcher.wait_until(
      [&](pg::Connection& c) {
        return c
            .exec("SELECT EXISTS (SELECT 1 FROM pg_stat_activity a "
                  "WHERE a.application_name = 'examq dispatcher notify-test' AND a.state = 'idle' "
                  "AND a.query LIKE '%get_next_processing_jobs%' "
                  "AND a.query_start > (SELECT max(started_at) FROM processing_jobs))")
            .get<bool>(0, 0);
      },
      30s);
  BOOST_REQUIRE_MESSAGE(idle, "dispatcher never went idle; log:\n" + worker.log());

  const std::string second = insert_job(conn, "noop", "{}");
  BOOST_TEST_REQUIRE(watcher.wait_until(status_is(second, "completed"), 30s),
                     "job inserted while idle was not started on NOTIFY; log:\n" + worker.log());
  BOOST_TEST(worker.running());
}

BOOST_AUTO_TEST_CASE(priorities_are_honoured) {
  const std::vector<int> priorities = {5, -3, 100, 0, 7, -1000, 42, 7, 1, 1000, 0, -3};
  // 1 ms each, so that consecutive handler_started_at values (microseconds) cannot tie.
  for (int p : priorities) insert_job(conn, "noop", R"({"sleep_ms": 1})", p);
  WorkerProcess worker(db.conninfo(), "priority-test", {"--concurrency", "1"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([&](pg::Connection& c) { return count_status(c, "completed") == 12; }, 60s),
                        "jobs not completed; log:\n" + worker.log());
  // handler_started_at is when each handler began, by the worker's clock: with one executor
  // the jobs ran one after another, in the order the worker chose.
  pg::Result r = conn.exec("SELECT priority FROM processing_jobs ORDER BY (result->>'handler_started_at')::bigint");
  std::vector<int> order;
  for (int i = 0; i < r.rows(); ++i) order.push_back(r.get<int>(i, 0));
  std::vector<int> expected = priorities;
  std::sort(expected.rbegin(), expected.rend());
  BOOST_TEST(order == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(concurrency_jobs_really_run_in_parallel) {
  WorkerProcess worker(db.conninfo(), "parallel-test", {"--concurrency", "3"});
  // Each job reports 50% halfway and needs as long again to finish. All three at 50% with
  // none finished can only happen if they run at the same time.
  for (int i = 0; i < 3; ++i) insert_job(conn, "noop", R"({"sleep_ms": 4000, "steps": 2})");
  bool all_halfway = false;
  const bool seen = watcher.wait_until(
      [&](pg::Connection& c) {
        pg::Result r = c.exec(
            "SELECT count(*) FILTER (WHERE status = 'processing' AND progress_percentage = 50)::integer, "
            "count(*) FILTER (WHERE status = 'completed')::integer FROM processing_jobs");
        all_halfway = r.get<int>(0, 0) == 3;
        return all_halfway || r.get<int>(0, 1) > 0;
      },
      60s);
  BOOST_REQUIRE_MESSAGE(seen, "jobs never progressed; log:\n" + worker.log());
  BOOST_TEST(all_halfway, "a job completed before all three were running at once");
  BOOST_TEST(watcher.wait_until([&](pg::Connection& c) { return count_status(c, "completed") == 3; }, 60s));
}

BOOST_AUTO_TEST_CASE(slow_job_does_not_block_claims_and_can_be_cancelled) {
  WorkerProcess worker(db.conninfo(), "slow-test", {"--concurrency", "2"});
  const std::string slow = insert_job(conn, "noop", R"({"sleep_ms": 600000, "steps": 600})");
  BOOST_REQUIRE(watcher.wait_until(status_is(slow, "processing"), 60s));

  std::vector<std::string> quick;
  for (int i = 0; i < 5; ++i) quick.push_back(insert_job(conn, "noop", R"({"sleep_ms": 10})"));
  BOOST_TEST_REQUIRE(watcher.wait_until(
                         [&](pg::Connection& c) {
                           for (const auto& id : quick)
                             if (job_field(c, id, "status") != "completed") return false;
                           return true;
                         },
                         60s),
                     "short jobs were held up by the slow one; log:\n" + worker.log());
  BOOST_TEST(job_field(conn, slow, "status") == "processing");

  // Cancelling a running job: it stops at its next progress report and ends cancelled.
  conn.exec("SELECT cancel_processing_job($1::uuid)", slow);
  BOOST_TEST_REQUIRE(watcher.wait_until(status_is(slow, "cancelled"), 30s), "not cancelled; log:\n" + worker.log());
  BOOST_TEST(worker.running());
  // The log is complete once the worker has exited (it batches lines under load).
  worker.signal(SIGTERM);
  BOOST_TEST(worker.wait_exit(30s).has_value());
  BOOST_TEST(worker.log().find("job.cancelled job_id=" + slow) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(job_types_limit_what_is_claimed) {
  const std::string other = insert_job(conn, "someone-elses-type", "{}", 10);
  const std::string mine = insert_job(conn, "noop", "{}", 0);
  WorkerProcess worker(db.conninfo(), "types-test", {"--job-types", "noop"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(status_is(mine, "completed"), 60s), "log:\n" + worker.log());
  // The other type ranked first and was claimable all along: a worker ignoring --job-types
  // would have taken it (and failed it: it has no handler) before or with ours.
  BOOST_TEST(job_field(conn, other, "status") == "pending");
  BOOST_TEST(job_field(conn, other, "attempts") == "0");
}

BOOST_AUTO_TEST_SUITE_END()
