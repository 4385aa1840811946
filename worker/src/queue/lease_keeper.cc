#include "queue/lease_keeper.h"

#include "metrics/registry.h"
#include "pg/error.h"
#include "queue/queue_sql.h"
#include "queue/settler.h"
#include "util/log.h"

#include <unordered_map>

namespace examq::queue {

LeaseKeeper::LeaseKeeper(WorkerState& state)
    : state_(state),
      session_(state.config.conninfo, "examq lease-keeper " + state.config.worker_id, "lease-keeper"),
      presence_(state.config, state.config.lease / 3) {}

LeaseKeeper::~LeaseKeeper() { stop(); }

void LeaseKeeper::start() { thread_ = std::thread([this] { loop(); }); }

void LeaseKeeper::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LeaseKeeper::sleep(std::chrono::microseconds d) {
  std::unique_lock lock(mu_);
  return !changed_.wait_for(lock, d, [&] { return stop_; });
}

void LeaseKeeper::loop() {
  const util::Duration interval = state_.config.lease / 3;
  do {
    // One registry heartbeat a round, first: an idle worker is seen as soon as it starts.
    try {
      pg::Connection* conn = session_.get([this](util::Duration d) { return sleep(d); });
      if (conn == nullptr) return;  // stopping while the database is away: nothing to tell it
      presence_.beat(*conn);
      if (!ready_told_) {
        ready_told_ = true;
        state_.ready_part_done();
      }
    } catch (const pg::Error& e) {
      session_.reset_if_broken(e);
    }
    if (state_.held.size() > 0 && !renew_leases()) return;
  } while (sleep(interval));
  // A clean stop: marked stopped, on the connection we have (no reconnecting on the way out;
  // without one, the registry lists this worker as lost after its timeout).
  if (session_.connected()) {
    if (pg::Connection* conn = session_.get([](util::Duration) { return false; })) presence_.leave(*conn);
  }
}

// Returns false when stopping interrupted it.
bool LeaseKeeper::renew_leases() {
  // Retry through outages at the reconnect backoff, not the renewal interval: after a server
  // restart the leases are renewed as soon as it is back.
  for (;;) {
    pg::Connection* conn = nullptr;
    try {
      conn = session_.get([this](util::Duration d) { return sleep(d); });
    } catch (const pg::Error& e) {
      util::log_event(spdlog::level::err, "lease.connect_failed", {{"error", e.what()}});
      if (sleep(std::chrono::seconds(1))) continue;
    }
    if (conn == nullptr) return false;
    try {
      renew(*conn);
      return true;
    } catch (const pg::Error& e) {
      if (!e.retryable()) {
        util::log_event(spdlog::level::err, "lease.renewal_failed", {{"error", e.what()}});
        return true;
      }
      session_.reset_if_broken(e, /*force=*/true);
    }
  }
}

void LeaseKeeper::renew(pg::Connection& conn) {
  std::vector<std::shared_ptr<JobRun>> runs = state_.held.snapshot();
  if (runs.empty()) return;
  std::vector<sql::JobAttempt> ids;
  ids.reserve(runs.size());
  for (const auto& r : runs) ids.push_back(sql::JobAttempt::of(r->job()));

  const auto sent = JobRun::Clock::now();
  std::vector<sql::Heartbeat> rows;
  for (std::size_t i = 0; i < ids.size(); i += static_cast<std::size_t>(state_.config.max_batch) * 10) {
    std::vector<sql::JobAttempt> part(ids.begin() + static_cast<std::ptrdiff_t>(i),
                                  ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + static_cast<std::size_t>(state_.config.max_batch) * 10)));
    auto got = sql::heartbeat_jobs(conn, part, state_.config.worker_id, state_.config.lease);
    rows.insert(rows.end(), got.begin(), got.end());
  }

  std::unordered_map<std::string, bool> held;  // id -> cancel_requested
  held.reserve(rows.size());
  for (const auto& row : rows) held.emplace(row.id, row.cancel_requested);

  for (const auto& run : runs) {
    auto it = held.find(run->job().id);
    if (it != held.end()) {
      run->extend_lease(sent + state_.config.lease);
      metrics::registry().lease_renewals.fetch_add(1, std::memory_order_relaxed);
      if (it->second && !run->cancel_requested()) {
        util::log_event(spdlog::level::info, "job.cancel_requested", {{"job_id", run->job().id}, {"job_type", run->job().type}});
        run->request_cancel();
      }
      continue;
    }
    // Not ours any more. A job being settled just finished (that is why it is gone); a queued
    // or running one lost its lease and was taken over.
    if (run->transition(RunState::queued, RunState::done)) {
      util::log_event(spdlog::level::warn, "job.lease_lost", {{"job_id", run->job().id}, {"job_type", run->job().type}, {"outcome_dropped", "not started"}});
      metrics::registry().count(run->job().type, metrics::JobEvent::lease_lost);
      run->abandon();
      state_.held.remove(*run);
    } else if (run->state() == RunState::running && !run->abandoned()) {
      util::log_event(spdlog::level::warn, "job.lease_lost", {{"job_id", run->job().id}, {"job_type", run->job().type}, {"outcome_dropped", "running"}});
      metrics::registry().count(run->job().type, metrics::JobEvent::lease_lost);
      run->abandon();
    }
  }
}

}  // namespace examq::queue
