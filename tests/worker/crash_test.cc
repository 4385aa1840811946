#define BOOST_TEST_MODULE worker_crash
#include "job_watcher.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <signal.h>
#include <sys/wait.h>

#include <memory>
#include <regex>
#include <set>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(three_workers_complete_2000_jobs_exactly_once) {
  TestDatabase db("three_workers");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  conn.exec("INSERT INTO processing_jobs (job_type) SELECT 'noop' FROM generate_series(1, 2000)");

  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(db.conninfo(), "many-" + std::to_string(i),
                                                      std::vector<std::string>{"--concurrency", "4"}));
  }
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([](pg::Connection& c) { return count_status(c, "completed") == 2000; }, 120s),
                        "not all jobs completed; log of worker 0:\n" + workers[0]->log());

  // Claimed exactly once each: a second claim (while the lease was valid or after) would show
  // as attempts > 1, and a job run twice as a second job.claimed line in some worker's log.
  BOOST_TEST(conn.exec("SELECT count(*)::integer FROM processing_jobs WHERE attempts <> 1 OR retry_count <> 0").get<int>(0, 0) == 0);
  BOOST_TEST(conn.exec("SELECT count(*)::integer FROM processing_jobs WHERE locked_by NOT IN ('many-0', 'many-1', 'many-2')")
                 .get<int>(0, 0) == 0);

  for (auto& w : workers) w->signal(SIGTERM);
  std::set<std::string> claimed;
  std::size_t claim_lines = 0;
  const std::regex claim_line("job\\.claimed job_id=([0-9a-f-]+)");
  for (auto& w : workers) {
    auto status = w->wait_exit(60s);
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST((WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
    const std::string log = w->log();
    for (std::sregex_iterator it(log.begin(), log.end(), claim_line), end; it != end; ++it) {
      claimed.insert((*it)[1]);
      ++claim_lines;
    }
  }
  BOOST_TEST(claim_lines == 2000u);
  BOOST_TEST(claimed.size() == 2000u);
}

BOOST_AUTO_TEST_CASE(killed_worker_jobs_are_taken_over_after_the_lease) {
  TestDatabase db("kill9");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) ids.push_back(insert_job(conn, "noop", R"({"sleep_ms": 3000, "steps": 3})"));

  auto doomed = std::make_unique<WorkerProcess>(db.conninfo(), "doomed", std::vector<std::string>{"--concurrency", "2", "--lease", "2s"});
  // Both running on the doomed worker.
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [](pg::Connection& c) {
                              return c.exec("SELECT count(*) = 2 FROM processing_jobs WHERE status = 'processing' AND locked_by = 'doomed'")
                                  .get<bool>(0, 0);
                            },
                            60s),
                        "jobs never started; log:\n" + doomed->log());
  doomed->signal(SIGKILL);
  auto status = doomed->wait_exit(30s);
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(WIFSIGNALED(*status));

  WorkerProcess rescuer(db.conninfo(), "rescuer", {"--concurrency", "2", "--lease", "2s", "--poll-interval", "200ms"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([](pg::Connection& c) { return count_status(c, "completed") == 2; }, 60s),
                        "jobs not taken over; log:\n" + rescuer.log());
  for (const std::string& id : ids) {
    BOOST_TEST_CONTEXT("job " << id) {
      BOOST_TEST(job_field(conn, id, "locked_by") == "rescuer");
      BOOST_TEST(job_field(conn, id, "attempts") == "2");
      BOOST_TEST(job_field(conn, id, "retry_count") == "1");  // the lost attempt counts
      BOOST_TEST(job_field(conn, id, "error_message") == "worker lost: lease expired");
    }
  }
}

// Issue 14, finding 1: a worker paused past its lease (SIGSTOP) whose jobs were rescued and
// claimed again by the same worker must not run a job's handler twice at once, and the stale
// attempt's completion must not be recorded: the database fences settlements by attempt.
BOOST_AUTO_TEST_CASE(a_paused_worker_that_reclaims_its_jobs_settles_only_the_new_attempt) {
  TestDatabase db("reclaim");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) ids.push_back(insert_job(conn, "noop", R"({"sleep_ms": 8000})"));

  WorkerProcess worker(db.conninfo(), "pausing", {"--concurrency", "2", "--lease", "3s", "--poll-interval", "200ms"});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [](pg::Connection& c) {
                              return c.exec("SELECT count(*) = 2 FROM processing_jobs WHERE status = 'processing' AND locked_by = 'pausing'")
                                  .get<bool>(0, 0);
                            },
                            60s),
                        "jobs never started; log:\n" + worker.log());
  worker.signal(SIGSTOP);
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [](pg::Connection& c) {
                              return c.exec("SELECT count(*) = 2 FROM processing_jobs WHERE status = 'processing' AND locked_until < now()")
                                  .get<bool>(0, 0);
                            },
                            60s),
                        "the leases never expired");
  BOOST_TEST(conn.exec("SELECT rescue_expired_processing_jobs()").get<int>(0, 0) == 2);
  worker.signal(SIGCONT);

  BOOST_REQUIRE_MESSAGE(watcher.wait_until([](pg::Connection& c) { return count_status(c, "completed") == 2; }, 90s),
                        "jobs not completed after the pause; log:\n" + worker.log());
  for (const std::string& id : ids) {
    BOOST_TEST_CONTEXT("job " << id) {
      BOOST_TEST(job_field(conn, id, "attempts") == "2");
      // The result is the handler's of attempt 2: attempt 1's completion was refused.
      BOOST_TEST(conn.exec("SELECT result ->> 'attempt' FROM processing_jobs WHERE id = $1::uuid", id).get<std::string>(0, 0) == "2");
    }
  }
  worker.signal(SIGTERM);
  auto status = worker.wait_exit(60s);
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST((WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
  const std::string log = worker.log();
  // Each job was claimed twice, and the second attempt's run did not overlap the first's: the
  // first was told to stop (lease lost) before the second started.
  const std::regex claimed("job\\.claimed job_id=");
  BOOST_TEST(std::distance(std::sregex_iterator(log.begin(), log.end(), claimed), std::sregex_iterator()) == 4);
  const std::regex lost("job\\.lease_lost job_id=");
  BOOST_TEST(std::distance(std::sregex_iterator(log.begin(), log.end(), lost), std::sregex_iterator()) >= 2);
}
