#define BOOST_TEST_MODULE worker_options
#include "cli/worker_command.h"
#include "worker_options_parse.h"

#include <boost/test/unit_test.hpp>

#include <cstdlib>

using namespace examq;
using namespace std::chrono;

namespace {

// Parses `examq worker ARGS...` the way the binary does and returns the resulting config.
queue::WorkerConfig parse(std::vector<std::string> args) {
  return cli::to_worker_config(testing::parse_worker_options(std::move(args)));
}

void clear_worker_env() {
  for (const char* v : {"EXAMQ_DB", "DATABASE_URL", "EXAMQ_CONCURRENCY", "EXAMQ_LEASE", "EXAMQ_JOB_TYPES",
                        "EXAMQ_POLL_INTERVAL", "EXAMQ_SHUTDOWN_GRACE", "EXAMQ_WORKER_ID", "EXAMQ_LOG_LEVEL",
                        "EXAMQ_LOG_FORMAT", "EXAMQ_MAX_BATCH", "EXAMQ_LISTEN_DB", "EXAMQ_DB_POOLER"}) {
    unsetenv(v);
  }
}

// Each test starts and ends without the worker's variables set.
struct CleanEnv {
  CleanEnv() { clear_worker_env(); }
  ~CleanEnv() { clear_worker_env(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(worker_options, CleanEnv)

BOOST_AUTO_TEST_CASE(defaults_match_the_documentation) {
  queue::WorkerConfig c = parse({});
  BOOST_TEST(c.concurrency == queue::default_concurrency());
  BOOST_TEST(c.job_types.empty());
  BOOST_TEST(c.poll_interval.count() == 5000000);
  BOOST_TEST(c.lease.count() == 60000000);
  BOOST_TEST(c.shutdown_grace.count() == 30000000);
  BOOST_TEST(c.worker_id == queue::default_worker_id());
  BOOST_TEST(c.conninfo.empty());  // libpq's PG* variables
}

BOOST_AUTO_TEST_CASE(flags_set_everything) {
  queue::WorkerConfig c = parse({"--db", "dbname=x", "--concurrency", "7", "--job-types", "noop,process-exam-paper",
                                 "--poll-interval", "250ms", "--lease", "2m", "--shutdown-grace", "1.5s",
                                 "--worker-id", "w1", "--max-batch", "64"});
  BOOST_TEST(c.conninfo == "dbname=x");
  BOOST_TEST(c.concurrency == 7);
  BOOST_TEST((c.job_types == std::vector<std::string>{"noop", "process-exam-paper"}));
  BOOST_TEST(c.poll_interval.count() == 250000);
  BOOST_TEST(c.lease.count() == 120000000);
  BOOST_TEST(c.shutdown_grace.count() == 1500000);
  BOOST_TEST(c.worker_id == "w1");
  BOOST_TEST(c.max_batch == 64);
}

BOOST_AUTO_TEST_CASE(environment_variables_apply_and_flags_win) {
  setenv("EXAMQ_CONCURRENCY", "3", 1);
  setenv("EXAMQ_LEASE", "90s", 1);
  setenv("EXAMQ_WORKER_ID", "from-env", 1);
  setenv("DATABASE_URL", "postgres://db.example/app", 1);
  queue::WorkerConfig c = parse({"--lease", "30s"});
  BOOST_TEST(c.concurrency == 3);
  BOOST_TEST(c.lease.count() == 30000000);
  BOOST_TEST(c.worker_id == "from-env");
  BOOST_TEST(c.conninfo == "postgres://db.example/app");
  setenv("EXAMQ_DB", "dbname=preferred", 1);
  BOOST_TEST(parse({}).conninfo == "dbname=preferred");
}

BOOST_AUTO_TEST_CASE(a_transaction_pooler_gets_a_direct_listen_session) {
  queue::WorkerConfig plain = parse({"--db", "host=db"});
  BOOST_TEST(!plain.transaction_pooler);
  BOOST_TEST(plain.listen_on() == "host=db");
  BOOST_TEST(!plain.listen_apart());
  queue::WorkerConfig pooled =
      parse({"--db", "host=bouncer port=6432", "--db-pooler", "transaction", "--listen-db", "host=db port=5432"});
  BOOST_TEST(pooled.transaction_pooler);
  BOOST_TEST(pooled.listen_on() == "host=db port=5432");
  BOOST_TEST(pooled.listen_apart());
  setenv("EXAMQ_LISTEN_DB", "host=direct", 1);
  setenv("EXAMQ_DB_POOLER", "transaction", 1);
  queue::WorkerConfig from_env = parse({"--db", "host=bouncer"});
  BOOST_TEST(from_env.listen_on() == "host=direct");
  BOOST_TEST(from_env.transaction_pooler);
  BOOST_CHECK_THROW(parse({"--db-pooler", "statement"}), CLI::ValidationError);
  BOOST_CHECK_THROW(parse({"--listen-db", "localhost"}), CLI::ValidationError);
}

BOOST_AUTO_TEST_CASE(durations_without_a_unit_are_refused) {
  BOOST_CHECK_THROW(parse({"--lease", "60"}), CLI::ValidationError);
  BOOST_CHECK_THROW(parse({"--poll-interval", "often"}), CLI::ValidationError);
  setenv("EXAMQ_SHUTDOWN_GRACE", "30", 1);
  BOOST_CHECK_THROW(parse({}), CLI::ValidationError);
}

BOOST_AUTO_TEST_CASE(out_of_range_values_are_refused) {
  BOOST_CHECK_THROW(parse({"--concurrency", "0"}), CLI::ValidationError);
  BOOST_CHECK_THROW(parse({"--lease", "100ms"}), std::invalid_argument);
  BOOST_CHECK_THROW(parse({"--job-types", "bad type!"}), std::invalid_argument);
  BOOST_CHECK_THROW(parse({"--log-format", "xml"}), CLI::ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
