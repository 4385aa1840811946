// The worker registry from the worker's side (issue 20): a worker registers at start, heartbeats
// on its lease-renewal cadence, marks itself stopped on SIGTERM, is lost after a SIGKILL once
// the timeout passes, and survives a registry it cannot write (logged once, retried).
#define BOOST_TEST_MODULE worker_registry
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

struct Registry {
  TestDatabase db{"registry"};
  JobWatcher watcher{db.conninfo()};
  pg::Connection& conn = watcher.conn();

  // The worker's state in examq_worker_status ("absent" when it has no row), with the timeout
  // the test chooses for this session.
  std::string state(const std::string& worker_id) {
    return conn.exec("SELECT coalesce((SELECT state FROM examq_worker_status WHERE worker_id = $1), 'absent')", worker_id)
        .get<std::string>(0, 0);
  }
  bool wait_state(const std::string& worker_id, const std::string& wanted) {
    return watcher.wait_until([&](pg::Connection&) { return state(worker_id) == wanted; }, 60s);
  }
  std::string seen(const std::string& worker_id) {
    return conn.exec("SELECT last_seen_at::text FROM examq_workers WHERE worker_id = $1", worker_id).get<std::string>(0, 0);
  }
};

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(registry, Registry)

BOOST_AUTO_TEST_CASE(a_worker_registers_at_start_heartbeats_while_idle_and_is_stopped_after_sigterm) {
  WorkerProcess worker(db.conninfo(), "reg-idle", {"--concurrency", "3", "--job-types", "noop", "--lease", "3s"});
  BOOST_REQUIRE_MESSAGE(wait_state("reg-idle", "live"), worker.log());
  pg::Result row = conn.exec("SELECT pid, job_types::text, concurrency, lease::text, heartbeat_interval::text, version "
                             "FROM examq_workers WHERE worker_id = 'reg-idle'");
  BOOST_TEST(row.get<int>(0, 0) == worker.pid());
  BOOST_TEST(row.get<std::string>(0, 1) == "{noop}");
  BOOST_TEST(row.get<int>(0, 2) == 3);
  BOOST_TEST(row.get<std::string>(0, 3) == "00:00:03");
  BOOST_TEST(row.get<std::string>(0, 4) == "00:00:01");
  BOOST_TEST(!row.get<std::string>(0, 5).empty());

  // Idle, it still heartbeats every lease / 3.
  const std::string first = seen("reg-idle");
  BOOST_TEST(watcher.wait_until([&](pg::Connection&) { return seen("reg-idle") != first; }, 30s));

  worker.signal(SIGTERM);
  auto status = worker.wait_exit(30s);
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST((WIFEXITED(*status) && WEXITSTATUS(*status) == 0), worker.log());
  BOOST_TEST(state("reg-idle") == "stopped");
  BOOST_TEST(occurrences(worker.log(), "worker.registered") == 1u, worker.log());
}

BOOST_AUTO_TEST_CASE(a_killed_worker_is_lost_once_the_timeout_passes) {
  conn.exec("SET examq.worker_timeout = '1s'");  // this session only; a 3s lease beats every 1s
  WorkerProcess worker(db.conninfo(), "reg-killed", {"--job-types", "noop", "--lease", "3s"});
  BOOST_REQUIRE_MESSAGE(wait_state("reg-killed", "live"), worker.log());
  worker.signal(SIGKILL);
  BOOST_REQUIRE(worker.wait_exit(30s).has_value());
  BOOST_TEST(wait_state("reg-killed", "lost"));
  BOOST_TEST(conn.exec("SELECT count(*)::int FROM examq_live_workers").get<int>(0, 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_registry_it_cannot_write_is_logged_once_and_never_stops_the_worker) {
  // As if the schema predated the registry: the function is not there.
  conn.exec("ALTER FUNCTION examq_register_worker(text, text, integer, text, text[], integer, interval, interval) "
            "RENAME TO examq_register_worker_away");
  WorkerProcess worker(db.conninfo(), "reg-broken", {"--job-types", "noop", "--lease", "3s"});
  // A job spanning three renewal rounds: each round tried to register and failed.
  const std::string id = insert_job(conn, "noop", R"({"sleep_ms": 3500, "steps": 2})");
  BOOST_REQUIRE(watcher.wait_until([&](pg::Connection& c) { return job_field(c, id, "status") == "completed"; }, 60s));
  BOOST_TEST(worker.running());
  BOOST_TEST(occurrences(worker.log(), "worker.registry_failed") == 1u, worker.log());
  BOOST_TEST(worker.log().find("examq migrate") != std::string::npos, worker.log());
  BOOST_TEST(state("reg-broken") == "absent");

  // Once it can, the next round registers it.
  conn.exec("ALTER FUNCTION examq_register_worker_away(text, text, integer, text, text[], integer, interval, interval) "
            "RENAME TO examq_register_worker");
  BOOST_TEST(wait_state("reg-broken", "live"), worker.log());
  BOOST_TEST(worker.log().find("worker.registered") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
