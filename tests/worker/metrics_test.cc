#define BOOST_TEST_MODULE worker_metrics
// `examq worker --metrics-listen`: a real worker runs noop jobs of every outcome while the test
// scrapes its endpoint; each counter must move by exactly the jobs that took that path.
#include "http_client.h"
#include "job_watcher.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <poll.h>

#include <map>
#include <optional>
#include <regex>
#include <sstream>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

void pause_ms(int ms) {
  pollfd none{};
  poll(&none, 0, ms);
}

// "name{labels} value" lines of a Prometheus text page, by series (name with its labels).
std::map<std::string, double> parse_page(const std::string& body) {
  std::map<std::string, double> series;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    series[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return series;
}

struct MetricsWorker {
  TestDatabase db{"metrics"};
  JobWatcher watcher{db.conninfo()};
  pg::Connection& conn = watcher.conn();
  std::unique_ptr<WorkerProcess> worker;
  std::string url;

  void start(const std::vector<std::string>& args) {
    worker = std::make_unique<WorkerProcess>(db.conninfo(), "metrics-test", args);
    // The worker logs the address it bound (port 0 picks one); the log file has no readiness
    // signal, so it is re-read.
    const std::regex listening(R"(metrics\.listening url=(http://127\.0\.0\.1:\d+/metrics))");
    std::smatch m;
    for (int i = 0; i < 600 && url.empty(); ++i) {
      const std::string log = worker->log();
      if (std::regex_search(log, m, listening)) url = m[1];
      BOOST_REQUIRE_MESSAGE(worker->running(), "the worker exited:\n" + log);
      if (url.empty()) pause_ms(50);
    }
    BOOST_REQUIRE_MESSAGE(!url.empty(), "no metrics.listening line:\n" + worker->log());
  }

  std::map<std::string, double> scrape() {
    HttpResponse r = http_request("GET", url);
    BOOST_REQUIRE_MESSAGE(r.status == 200, "scrape: " + std::to_string(r.status) + " " + r.error);
    BOOST_TEST(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    return parse_page(r.body);
  }

  // Scrapes until pred holds (the worker counts just after the database records, so a scrape
  // can trail the queue by a moment; the queue gauges are re-read at most every few seconds).
  std::map<std::string, double> scrape_until(const std::function<bool(std::map<std::string, double>&)>& pred,
                                             std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    std::map<std::string, double> page = scrape();
    while (!pred(page) && Clock::now() < end) {
      pause_ms(100);
      page = scrape();
    }
    return page;
  }
};

double value(std::map<std::string, double>& page, const std::string& series) {
  auto it = page.find(series);
  return it == page.end() ? 0 : it->second;
}

std::string noop(const std::string& metric) { return metric + "{job_type=\"noop\"}"; }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(metrics, MetricsWorker)

BOOST_AUTO_TEST_CASE(counters_move_by_exactly_the_jobs_run_and_the_queue_is_read_from_the_database) {
  // Jobs of a type this worker does not claim: the queue gauges count them (the first reading is
  // taken when the endpoint starts).
  for (int i = 0; i < 3; ++i) insert_job(conn, "metrics-unclaimed", "{}");
  start({"--job-types", "noop", "--concurrency", "2", "--metrics-listen", "127.0.0.1:0"});

  // The first reading of the queue is taken on the endpoint's own thread as it starts.
  std::map<std::string, double> before = scrape_until([](auto& p) { return value(p, "examq_queue_read_ok") == 1; }, 10s);
  BOOST_TEST(value(before, "examq_queue_read_ok") == 1);
  BOOST_TEST(value(before, "examq_queue_depth{job_type=\"metrics-unclaimed\"}") == 3);
  BOOST_TEST(before.count("examq_queue_oldest_pending_age_seconds{job_type=\"metrics-unclaimed\"}") == 1u);
  BOOST_TEST(value(before, "examq_worker_concurrency") == 2);

  // 5 complete; 2 fail once (retried) then complete; 2 fail critically; 2 snooze once then
  // complete: 15 claims, 9 completions, 2 retries, 2 failures, 2 snoozes, 15 runs.
  for (int i = 0; i < 5; ++i) insert_job(conn, "noop", "{}");
  for (int i = 0; i < 2; ++i) insert_job(conn, "noop", R"({"fail": "transient", "fail_attempts": 1})");
  for (int i = 0; i < 2; ++i) insert_job(conn, "noop", R"({"fail": "critical"})");
  for (int i = 0; i < 2; ++i) insert_job(conn, "noop", R"({"fail": "snooze", "snooze_ms": 10, "fail_attempts": 1})");
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [](pg::Connection& c) { return count_status(c, "completed") == 9 && count_status(c, "failed") == 2; },
                            120s),
                        "jobs did not settle; log:\n" + worker->log());

  std::map<std::string, double> after = scrape_until(
      [](auto& p) { return value(p, noop("examq_jobs_completed_total")) >= 9 && value(p, noop("examq_jobs_failed_total")) >= 2; },
      10s);
  auto moved = [&](const std::string& series) { return value(after, series) - value(before, series); };
  BOOST_TEST(moved(noop("examq_jobs_claimed_total")) == 15);
  BOOST_TEST(moved(noop("examq_jobs_completed_total")) == 9);
  BOOST_TEST(moved(noop("examq_jobs_retried_total")) == 2);
  BOOST_TEST(moved(noop("examq_jobs_failed_total")) == 2);
  BOOST_TEST(moved(noop("examq_jobs_snoozed_total")) == 2);
  BOOST_TEST(moved(noop("examq_jobs_cancelled_total")) == 0);
  BOOST_TEST(moved(noop("examq_jobs_released_total")) == 0);
  BOOST_TEST(moved(noop("examq_jobs_lease_lost_total")) == 0);
  BOOST_TEST(moved(noop("examq_job_run_seconds_count")) == 15);
  BOOST_TEST(value(after, "examq_job_run_seconds_bucket{job_type=\"noop\",le=\"+Inf\"}") == 15);
  BOOST_TEST(value(after, "examq_worker_jobs_running") == 0);
  // The queue gauges follow the database, re-read at most every few seconds: once the other
  // type's jobs are cancelled its series stays, at 0.
  const std::string unclaimed = "examq_queue_depth{job_type=\"metrics-unclaimed\"}";
  BOOST_TEST(value(after, unclaimed) == 3);
  conn.exec("SELECT cancel_processing_job(id) FROM processing_jobs WHERE job_type = 'metrics-unclaimed'");
  after = scrape_until([&](auto& p) { return p.count(unclaimed) && value(p, unclaimed) == 0; }, 20s);
  BOOST_TEST(after.count(unclaimed) == 1u);
  BOOST_TEST(value(after, unclaimed) == 0);
  BOOST_TEST(value(after, "examq_queue_oldest_pending_age_seconds{job_type=\"metrics-unclaimed\"}") == 0);
}

BOOST_AUTO_TEST_CASE(only_metrics_is_served) {
  start({"--job-types", "noop", "--metrics-listen", "127.0.0.1:0"});
  BOOST_TEST(http_request("GET", url.substr(0, url.size() - 8) + "/").status == 404);
  BOOST_TEST(http_request("POST", url, {}, "x").status == 405);
  HttpResponse head = http_request("HEAD", url);
  BOOST_TEST(head.status == 200);
  BOOST_TEST(head.body.empty());
}

BOOST_AUTO_TEST_CASE(a_port_already_taken_stops_the_worker_at_once) {
  start({"--job-types", "noop", "--metrics-listen", "127.0.0.1:0"});
  const std::string port = url.substr(url.rfind(':') + 1, url.size() - url.rfind(':') - 1 - 8);
  WorkerProcess second(db.conninfo(), "metrics-test-2", {"--job-types", "noop", "--metrics-listen", "127.0.0.1:" + port});
  const std::optional<int> status = second.wait_exit(30s);
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(WEXITSTATUS(*status) == 1);
  BOOST_TEST(second.log().find("cannot listen on 127.0.0.1:" + port) != std::string::npos, second.log());
}

BOOST_AUTO_TEST_SUITE_END()
