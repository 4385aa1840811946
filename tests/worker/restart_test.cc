#define BOOST_TEST_MODULE worker_restart
#include "job_watcher.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

// Runs a shell command (arguments are our own paths and numbers) and returns its stdout.
std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::string out;
  std::array<char, 256> buf;
  while (fgets(buf.data(), buf.size(), pipe.get()) != nullptr) out += buf.data();
  int status = pclose(pipe.release());
  if (status != 0) throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command + "\n" + out);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// A cluster of our own (ci/pgcluster), so restarting it disturbs no other test.
struct PrivateCluster {
  std::string script = env_or("EXAMQ_PGCLUSTER", EXAMQ_SOURCE_DIR "/ci/pgcluster");
  std::string sql_dir = env_or("EXAMQ_SQL_DIR", EXAMQ_SOURCE_DIR "/sql");
  std::string dir;
  std::string port;
  std::string user;

  PrivateCluster() {
    char tmpl[] = "/tmp/examq-restart-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    port = run(script + " start " + dir + "/pg");
    user = run(script + " user " + dir + "/pg");
    run("psql -X -q -h 127.0.0.1 -p " + port + " -U " + user + " -d postgres -v ON_ERROR_STOP=1 -f " + sql_dir +
        "/install.sql 2>&1");
  }
  ~PrivateCluster() {
    try {
      run(script + " stop " + dir + "/pg");
    } catch (...) {
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string conninfo() const { return "host=127.0.0.1 port=" + port + " user=" + user + " dbname=postgres"; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(postgres_restart_mid_run_loses_no_job) {
  PrivateCluster cluster;
  const int total = 300;
  {
    pg::Connection conn(cluster.conninfo());
    conn.exec("INSERT INTO processing_jobs (job_type, payload) SELECT 'noop', '{\"sleep_ms\": 20}' FROM generate_series(1, $1::integer)",
              total);
  }
  // The default 60 s lease: a job lost across the restart would not come back within the
  // deadline below, so the test would fail rather than pass slowly.
  WorkerProcess worker(cluster.conninfo(), "restart-test", {"--concurrency", "4"});
  {
    JobWatcher watcher(cluster.conninfo());
    BOOST_REQUIRE_MESSAGE(watcher.wait_until([](pg::Connection& c) { return count_status(c, "completed") >= 40; }, 60s),
                          "worker made no progress; log:\n" + worker.log());
  }

  run(cluster.script + " restart " + cluster.dir + "/pg");

  JobWatcher watcher(cluster.conninfo());
  const bool all_done = watcher.wait_until([&](pg::Connection& c) { return count_status(c, "completed") == total; }, 45s);
  BOOST_TEST_REQUIRE(all_done, "jobs lost or stuck after the restart; log:\n" + worker.log());
  BOOST_TEST(worker.running(), "the worker died with the server");

  worker.signal(SIGTERM);
  auto status = worker.wait_exit(60s);
  BOOST_TEST((status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
  const std::string log = worker.log();
  BOOST_TEST(log.find("db.reconnected") != std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(a_pooled_connection_closed_by_a_restart_is_replaced_without_spending_a_retry) {
  PrivateCluster cluster;
  WorkerProcess worker(cluster.conninfo(), "restart-pool-test", {"--concurrency", "1"});
  // Like a real handler: reads through the worker's pool (read_database) and reports progress
  // (steps), so the pool keeps idle connections once the job is done.
  const std::string payload = R"({"read_database": true, "steps": 2})";
  pg::Connection conn(cluster.conninfo());
  const std::string before = insert_job(conn, "noop", payload);
  {
    JobWatcher watcher(cluster.conninfo());
    BOOST_REQUIRE_MESSAGE(watcher.wait_until([&](pg::Connection& c) { return job_field(c, before, "status") == "completed"; }, 60s),
                          "the first job did not complete; log:\n" + worker.log());
  }

  // The server goes away under the idle pooled connections, as with `examq down; examq up`.
  run(cluster.script + " restart " + cluster.dir + "/pg");

  pg::Connection after_restart(cluster.conninfo());
  const std::string after = insert_job(after_restart, "noop", payload);
  JobWatcher watcher(cluster.conninfo());
  // A retry would come back only after its backoff (seconds): wait past it, then look at the row.
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([&](pg::Connection& c) { return job_field(c, after, "status") == "completed"; }, 60s),
                        "the job after the restart did not complete; log:\n" + worker.log());
  BOOST_TEST(job_field(after_restart, after, "retry_count") == "0", worker.log());
  BOOST_TEST(job_field(after_restart, after, "attempts") == "1");
  BOOST_TEST(job_field(after_restart, after, "error_message") == "<NULL>");
  BOOST_TEST(worker.log().find("db.pooled_connection_replaced") != std::string::npos, worker.log());
}
