// examq-queue-bench: the client side of bench/queue/run.sh.
//
//   enqueue  --db D --count N          one INSERT of N noop jobs; prints its rate
//   drained  --db D [--timeout 10m]    waits until no job is pending or running, then prints
//                                      throughput from the first claim to the last completion
//   latency  --db D --count 200 --interval 20ms
//                                      inserts jobs one at a time while a worker idles, then
//                                      prints insert-to-handler-start latency percentiles
//
// Output is `key=value` lines for the script to collect.

#include "pg/connection.h"
#include "util/duration.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

using namespace examq;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t epoch_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int enqueue(const std::string& db, int count) {
  pg::Connection conn(db, "examq bench");
  const auto t0 = Clock::now();
  conn.exec("INSERT INTO processing_jobs (job_type) SELECT 'noop' FROM generate_series(1, $1::integer)", count);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("enqueue_jobs=%d\nenqueue_seconds=%.4f\nenqueue_jobs_per_s=%.0f\n", count, s, count / s);
  return 0;
}

int drained(const std::string& db, util::Duration timeout) {
  pg::Connection conn(db, "examq bench");
  const auto deadline = Clock::now() + timeout;
  // A cheap probe (both statuses have partial indexes), a few times a second: the point is to
  // notice the end without loading the server that is being measured.
  while (conn.exec("SELECT EXISTS (SELECT 1 FROM processing_jobs WHERE status = 'pending') "
                   "OR EXISTS (SELECT 1 FROM processing_jobs WHERE status = 'processing')")
             .get<bool>(0, 0)) {
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "examq-queue-bench: jobs still pending after the timeout\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  pg::Result r = conn.exec(
      "SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status <> 'completed'), "
      "extract(epoch FROM max(completed_at) - min(started_at))::float8, max(attempts) FROM processing_jobs");
  const std::int64_t completed = r.get<std::int64_t>(0, 0);
  const double s = r.get<double>(0, 2);
  std::printf("completed=%lld\nnot_completed=%lld\nmax_attempts=%d\ndrain_seconds=%.4f\njobs_per_s=%.0f\n",
              static_cast<long long>(completed), static_cast<long long>(r.get<std::int64_t>(0, 1)), r.get<int>(0, 3), s,
              completed / s);
  return r.get<std::int64_t>(0, 1) == 0 ? 0 : 1;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

int latency(const std::string& db, int count, util::Duration interval) {
  pg::Connection conn(db, "examq bench");
  static constexpr pg::Statement kInsert{"bench_insert", "INSERT INTO processing_jobs (job_type) VALUES ('noop') RETURNING id"};
  struct Sent {
    std::string id;
    std::int64_t before_us, acked_us;
  };
  std::vector<Sent> sent;
  conn.exec(kInsert);  // prepare outside the measurement (this job is not counted)
  auto next = Clock::now();
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_until(next);
    next += interval;
    const std::int64_t before = epoch_micros();
    pg::Result r = conn.exec(kInsert);
    const std::int64_t acked = epoch_micros();
    sent.push_back({r.get<std::string>(0, 0), before, acked});
  }
  while (!conn.exec("SELECT NOT EXISTS (SELECT 1 FROM processing_jobs WHERE status IN ('pending', 'processing'))")
              .get<bool>(0, 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<double> from_ack, from_send;
  for (const Sent& s : sent) {
    pg::Result r = conn.exec("SELECT (result->>'handler_started_at')::bigint FROM processing_jobs WHERE id = $1::uuid", s.id);
    const std::int64_t started = r.get<std::int64_t>(0, 0);
    from_ack.push_back((started - s.acked_us) / 1000.0);
    from_send.push_back((started - s.before_us) / 1000.0);
  }
  std::printf("latency_jobs=%d\n", count);
  for (auto [name, v] : {std::pair{"ack", &from_ack}, std::pair{"send", &from_send}}) {
    std::printf("latency_%s_p50_ms=%.3f\nlatency_%s_p90_ms=%.3f\nlatency_%s_p99_ms=%.3f\nlatency_%s_max_ms=%.3f\n", name,
                percentile(*v, 50), name, percentile(*v, 90), name, percentile(*v, 99), name, *std::max_element(v->begin(), v->end()));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"examq-queue-bench: client for bench/queue/run.sh"};
  app.require_subcommand(1);
  std::string db;
  int count = 0;
  std::string interval = "20ms", timeout = "10m";
  auto* enq = app.add_subcommand("enqueue", "Bulk-insert noop jobs in one statement");
  enq->add_option("--db", db)->required();
  enq->add_option("--count", count)->required();
  auto* drn = app.add_subcommand("drained", "Wait for the queue to drain and report throughput");
  drn->add_option("--db", db)->required();
  drn->add_option("--timeout", timeout);
  auto* lat = app.add_subcommand("latency", "Insert jobs one at a time and report insert-to-start latency");
  lat->add_option("--db", db)->required();
  lat->add_option("--count", count)->required();
  lat->add_option("--interval", interval);
  CLI11_PARSE(app, argc, argv);
  try {
    if (*enq) return enqueue(db, count);
    if (*drn) return drained(db, util::parse_duration(timeout));
    return latency(db, count, util::parse_duration(interval));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "examq-queue-bench: %s\n", e.what());
    return 1;
  }
}
