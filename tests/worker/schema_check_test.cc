#define BOOST_TEST_MODULE worker_schema_check
// `examq worker` and `examq serve` refuse a database whose examq_migrations lacks a migration the
// binary was built with, and say how to migrate.
#include "job_watcher.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <sys/wait.h>

#include <cstdlib>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

// The database without its newest migration's record: as if the binary were newer than it.
struct OlderSchema {
  TestDatabase db{"schema_check"};
  OlderSchema() {
    pg::Connection conn = db.connect();
    conn.exec("DELETE FROM examq_migrations WHERE version = (SELECT max(version) FROM examq_migrations)");
  }
};

void expect_refusal(WorkerProcess& process) {
  const std::optional<int> status = process.wait_exit(60s);
  BOOST_REQUIRE_MESSAGE(status.has_value(), "still running against an older schema:\n" + process.log());
  BOOST_TEST(WIFEXITED(*status));
  BOOST_TEST(WEXITSTATUS(*status) == 1);
  const std::string log = process.log();
  BOOST_TEST(log.find("lacks") != std::string::npos, log);
  BOOST_TEST(log.find("run `examq migrate` with the same --db") != std::string::npos, log);
  BOOST_TEST(log.find("psql -v ON_ERROR_STOP=1 -d YOURDB -f ") != std::string::npos, log);
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_worker_refuses_a_schema_that_lacks_a_migration_it_needs, OlderSchema) {
  pg::Connection conn = db.connect();
  const std::string job = insert_job(conn, "noop", "{}");
  WorkerProcess worker(db.conninfo(), "schema-check", {"--job-types", "noop"});
  expect_refusal(worker);
  BOOST_TEST(job_field(conn, job, "status") == "pending");  // it claimed nothing
}

BOOST_FIXTURE_TEST_CASE(serve_refuses_a_schema_that_lacks_a_migration_it_needs, OlderSchema) {
  setenv("EXAMQ_JWT_SECRET", "schema-check-secret-0123456789abcdef", 1);
  WorkerProcess serve({"serve", "--db", db.conninfo(), "--listen", "127.0.0.1:0"}, "serve");
  expect_refusal(serve);
}

BOOST_AUTO_TEST_CASE(a_schema_ahead_of_the_binary_is_accepted) {
  // Migrations only add: a worker older than its database keeps working.
  TestDatabase db("schema_ahead");
  JobWatcher watcher(db.conninfo());
  watcher.conn().exec("INSERT INTO examq_migrations (version, name) SELECT max(version) + 1, 'from_the_future' FROM examq_migrations");
  const std::string job = insert_job(watcher.conn(), "noop", "{}");
  WorkerProcess worker(db.conninfo(), "schema-ahead", {"--job-types", "noop"});
  BOOST_TEST(watcher.wait_until([&](pg::Connection& c) { return job_field(c, job, "status") == "completed"; }, 60s),
             worker.log());
}
