#include "metrics/queue_sampler.h"

#include "pg/connection.h"
#include "pg/error.h"
#include "pg/transaction.h"
#include "util/log.h"

#include <optional>

namespace examq::metrics {
namespace {

using Clock = std::chrono::steady_clock;

// Read-only, through the caller's row-level security (examq_worker and examq_admin see every
// job). It walks the pending jobs only: the status filter matches the claim index's predicate.
const pg::Statement kQueueDepth{
    "examq_metrics_queue_depth",
    "SELECT job_type, count(*) FILTER (WHERE run_at <= now())::bigint,"
    "       count(*) FILTER (WHERE run_at > now())::bigint,"
    "       coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE run_at <= now())), 0)::float8"
    "  FROM processing_jobs WHERE status = 'pending' GROUP BY job_type"};

}  // namespace

struct QueueSampler::Session {
  std::optional<pg::Connection> conn;
  bool failing = false;  // the last reading failed: say so once, not on every scrape
};

QueueSampler::QueueSampler(std::string conninfo, std::chrono::milliseconds interval)
    : conninfo_(std::move(conninfo)), interval_(interval), session_(std::make_unique<Session>()) {}

QueueSampler::~QueueSampler() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void QueueSampler::start() { thread_ = std::thread([this] { loop(); }); }

QueueSample QueueSampler::latest() {
  std::lock_guard lock(mu_);
  if (Clock::now() - sample_.taken >= interval_ && !wanted_) {
    wanted_ = true;
    wake_.notify_all();
  }
  return sample_;
}

void QueueSampler::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || wanted_; });
    if (stop_) return;
    lock.unlock();
    read();
    lock.lock();
    wanted_ = false;
    // At most one reading per interval, however often scrapes come.
    if (wake_.wait_until(lock, sample_.taken + interval_, [&] { return stop_; })) return;
  }
}

void QueueSampler::read() {
  std::map<std::string, QueueDepth> now;
  bool ok = true;
  try {
    if (!session_->conn || session_->conn->broken()) {
      session_->conn.reset();
      session_->conn.emplace(conninfo_, "examq metrics");
    }
    // A slow database must not leave the gauges stale for long. The timeout is the
    // transaction's own (SET LOCAL): through a transaction-mode pooler a session-wide SET would
    // stay on a server session that other clients get next.
    pg::Transaction tx(*session_->conn);
    session_->conn->exec("SET LOCAL statement_timeout = '5s'");
    pg::Result r = session_->conn->exec(kQueueDepth);
    tx.commit();
    for (int i = 0; i < r.rows(); ++i) {
      now[r.get<std::string>(i, 0)] = {r.get<std::int64_t>(i, 1), r.get<std::int64_t>(i, 2), r.get<double>(i, 3)};
    }
    if (session_->failing) util::log_event(spdlog::level::info, "metrics.queue_read_recovered");
    session_->failing = false;
  } catch (const pg::Error& e) {
    ok = false;
    if (!session_->failing) util::log_event(spdlog::level::warn, "metrics.queue_read_failed", {{"error", e.what()}});
    session_->failing = true;
  }
  std::lock_guard lock(mu_);
  sample_.ok = ok;
  sample_.taken = Clock::now();
  if (!ok) return;
  for (auto& [type, depth] : sample_.by_type) depth = now.count(type) ? now[type] : QueueDepth{};
  for (auto& [type, depth] : now) sample_.by_type[type] = depth;
}

}  // namespace examq::metrics
