#include "queue/settler.h"

#include "pg/error.h"
#include "handlers/handler.h"
#include "metrics/registry.h"
#include "pg/transaction.h"
#include "queue/queue_sql.h"
#include "util/log.h"

#include <tao/json/to_string.hpp>

#include <unordered_map>
#include <unordered_set>

namespace examq::queue {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Each settled outcome is logged and counted (metrics::JobEvent) in one place: here.
void log_completed(const JobRun& run) {
  util::log_event(spdlog::level::info, "job.completed",
                  {{"job_id", run.job().id}, {"job_type", run.job().type}, {"run_ms", ms_since(run.started_at())}});
  metrics::registry().count(run.job().type, metrics::JobEvent::completed);
}

void log_not_held(const JobRun& run, std::string_view what, const std::string& error) {
  util::log_event(spdlog::level::warn, "job.lease_lost",
                  {{"job_id", run.job().id}, {"job_type", run.job().type}, {"outcome_dropped", what}, {"error", error}});
  metrics::registry().count(run.job().type, metrics::JobEvent::lease_lost);
}

void log_cancelled(const JobRun& run) {
  util::log_event(spdlog::level::info, "job.cancelled", {{"job_id", run.job().id}, {"job_type", run.job().type}});
  metrics::registry().count(run.job().type, metrics::JobEvent::cancelled);
}

void log_released(const handlers::Job& job, const std::string& status) {
  util::log_event(spdlog::level::info, "job.released", {{"job_id", job.id}, {"job_type", job.type}, {"status", status}});
  metrics::registry().count(job.type, metrics::JobEvent::released);
}

// The log line for a fail / release, from the row the function returned.
void log_settled(const Settlement& s, const sql::SettledRow& row) {
  const handlers::Job& job = s.run->job();
  if (s.kind == Settlement::Kind::release) {
    log_released(job, row.status);
  } else if (s.kind == Settlement::Kind::snooze) {
    util::log_event(spdlog::level::info, "job.snoozed",
                    {{"job_id", job.id}, {"job_type", job.type}, {"reason", s.error_message}, {"run_at", row.run_at.value_or("")}});
    metrics::registry().count(job.type, metrics::JobEvent::snoozed);
  } else if (row.status == "pending") {
    util::log_event(spdlog::level::warn, "job.retrying",
                    {{"job_id", job.id}, {"job_type", job.type}, {"error", s.error_message},
                     {"retry", row.retry_count}, {"max_retries", row.max_retries}, {"run_at", row.run_at.value_or("")}});
    metrics::registry().count(job.type, metrics::JobEvent::retried);
  } else if (row.status == "cancelled") {
    log_cancelled(*s.run);
  } else {
    util::log_event(spdlog::level::err, "job.failed",
                    {{"job_id", job.id}, {"job_type", job.type}, {"error", s.error_message}, {"critical", s.critical},
                     {"retries_used", row.retry_count}});
    metrics::registry().count(job.type, metrics::JobEvent::failed);
  }
}

}  // namespace

void finish_job(WorkerState& state, JobRun& run) {
  state.held.remove(run);
  run.transition(run.state(), RunState::done);
  // Settling frees room to claim (see ClaimSizer::to_claim's back-pressure).
  if (!state.stopping.load(std::memory_order_relaxed) &&
      state.sizer.to_claim(state.unfinished.load(), static_cast<int>(state.held.size())) > 0) {
    state.dispatcher_wakeup.notify();
  }
}

Settler::Settler(WorkerState& state)
    : state_(state), session_(state.config.conninfo, "examq settler " + state.config.worker_id, "settler") {}

Settler::~Settler() { stop(); }

void Settler::start() { thread_ = std::thread([this] { loop(); }); }

void Settler::submit(Settlement s) {
  {
    std::lock_guard lock(mu_);
    pending_.push_back(std::move(s));
  }
  changed_.notify_all();
}

bool Settler::drain(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  give_up_at_ = deadline;
  changed_.notify_all();
  changed_.wait_until(lock, deadline, [&] { return pending_.empty() && in_flight_ == 0; });
  return pending_.empty() && in_flight_ == 0;
}

void Settler::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Settler::sleep(std::chrono::microseconds d) {
  std::unique_lock lock(mu_);
  auto until = std::min(Clock::now() + d, give_up_at_);
  changed_.wait_until(lock, until, [&] { return stop_; });
  return !stop_ && Clock::now() < give_up_at_;
}

void Settler::loop() {
  for (;;) {
    std::vector<Settlement> batch;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return stop_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping with nothing to do
      batch.swap(pending_);
      in_flight_ = batch.size();
    }
    settle(batch);
    {
      std::lock_guard lock(mu_);
      in_flight_ = 0;
    }
    changed_.notify_all();
  }
}

void Settler::settle(std::vector<Settlement>& batch) {
  // Completions in chunks of max_batch; the rest one by one. Items leave `todo` once finished.
  std::vector<Settlement*> todo;
  todo.reserve(batch.size());
  for (Settlement& s : batch) todo.push_back(&s);

  while (!todo.empty()) {
    pg::Connection* conn = nullptr;
    try {
      conn = session_.get([this](util::Duration d) { return sleep(d); });
    } catch (const pg::Error& e) {
      // Not retryable by libpq's judgement (e.g. authentication): keep trying slowly, the
      // dispatcher reports such errors as fatal.
      util::log_event(spdlog::level::err, "settle.connect_failed", {{"error", e.what()}});
      if (sleep(std::chrono::seconds(1))) continue;
    }
    if (conn == nullptr) {
      // Shutting down and the database is still away: the leases protect these jobs.
      for (Settlement* s : todo) {
        util::log_event(spdlog::level::warn, "job.unsettled",
                        {{"job_id", s->run->job().id}, {"reason", "database unavailable at shutdown; the lease will expire"}});
        finish_job(state_, *s->run);
      }
      return;
    }
    try {
      std::vector<Settlement*> completions, releases, others;
      for (Settlement* s : todo) {
        if (s->kind == Settlement::Kind::complete) {
          completions.push_back(s);
        } else if (s->kind == Settlement::Kind::release) {
          releases.push_back(s);
        } else {
          others.push_back(s);
        }
      }
      const std::size_t chunk = static_cast<std::size_t>(state_.config.max_batch);
      for (auto [items, batch] : {std::pair{&completions, &Settler::complete_batch}, std::pair{&releases, &Settler::release_batch}}) {
        for (std::size_t i = 0; i < items->size(); i += chunk) {
          std::vector<Settlement*> part(items->begin() + static_cast<std::ptrdiff_t>(i),
                                        items->begin() + static_cast<std::ptrdiff_t>(std::min(i + chunk, items->size())));
          (this->*batch)(*conn, part);
        }
      }
      for (Settlement* s : others) settle_one(*conn, *s);
    } catch (const pg::Error& e) {
      // Retryable by construction (see complete_batch / settle_one): reconnect and redo the rest.
      session_.reset_if_broken(e, /*force=*/true);
    }
    std::erase_if(todo, [](Settlement* s) { return s->settled; });
  }
}

void Settler::complete_batch(pg::Connection& conn, std::vector<Settlement*>& items) {
  std::vector<sql::JobAttempt> ids;
  std::vector<std::string> results;
  ids.reserve(items.size());
  results.reserve(items.size());
  for (Settlement* s : items) {
    ids.push_back(sql::JobAttempt::of(s->run->job()));
    results.push_back(s->result_json);
  }
  std::vector<std::string> completed;
  try {
    const auto sent = Clock::now();
    completed = sql::complete_jobs(conn, ids, results, state_.config.worker_id);
    util::log_event(spdlog::level::debug, "complete.round_trip", {{"jobs", ids.size()}, {"ms", ms_since(sent)}});
  } catch (const pg::Error& e) {
    if (e.retryable()) throw;
    // One bad item must not sink the batch: settle them one by one.
    for (Settlement* s : items) {
      if (!s->settled) settle_one(conn, *s);
    }
    return;
  }
  std::unordered_set<std::string> ok(completed.begin(), completed.end());
  for (Settlement* s : items) {
    if (ok.count(s->run->job().id) != 0) {
      log_completed(*s->run);
    } else {
      log_not_held(*s->run, "completion", "not held by this worker any more");
    }
    finish_job(state_, *s->run);
    s->settled = true;
  }
}

void Settler::release_batch(pg::Connection& conn, std::vector<Settlement*>& items) {
  if (items.size() == 1) {
    settle_one(conn, *items.front());
    return;
  }
  std::vector<sql::JobAttempt> ids;
  ids.reserve(items.size());
  for (Settlement* s : items) ids.push_back(sql::JobAttempt::of(s->run->job()));
  std::vector<std::pair<std::string, std::string>> released;
  try {
    released = sql::release_jobs(conn, ids, state_.config.worker_id);
  } catch (const pg::Error& e) {
    if (e.retryable()) throw;
    // Some job was not held any more: release them one by one to find out which.
    for (Settlement* s : items) {
      if (!s->settled) settle_one(conn, *s);
    }
    return;
  }
  std::unordered_map<std::string, std::string> status(released.begin(), released.end());
  for (Settlement* s : items) {
    log_released(s->run->job(), status[s->run->job().id]);
    finish_job(state_, *s->run);
    s->settled = true;
  }
}

void Settler::settle_one(pg::Connection& conn, Settlement& s) {
  const std::string& id = s.run->job().id;
  const sql::JobAttempt job = sql::JobAttempt::of(s.run->job());
  const std::string& worker = state_.config.worker_id;
  try {
    switch (s.kind) {
      case Settlement::Kind::complete:
        sql::complete_job(conn, job, s.result_json, worker);
        log_completed(*s.run);
        break;
      case Settlement::Kind::fail:
        log_settled(s, sql::fail_job(conn, job, s.error_message, s.critical, s.error_details, worker));
        break;
      case Settlement::Kind::release:
        log_settled(s, sql::release_job(conn, job, worker));
        break;
      case Settlement::Kind::snooze:
        if (s.run->cancel_requested()) {
          sql::confirm_cancelled(conn, job, worker);
          log_cancelled(*s.run);
          break;
        }
        try {
          log_settled(s, sql::snooze_job(conn, job, s.snooze_delay, s.error_message, worker, s.error_details));
        } catch (const pg::Error& e) {
          // snooze refuses a job whose cancellation was requested (55000, like "not held"):
          // confirm the cancellation; if that is refused too, the job is not ours.
          if (!e.job_not_held()) throw;
          sql::confirm_cancelled(conn, job, worker);
          log_cancelled(*s.run);
        }
        break;
      case Settlement::Kind::cancel:
        sql::confirm_cancelled(conn, job, worker);
        log_cancelled(*s.run);
        break;
      case Settlement::Kind::none:
        break;
    }
  } catch (const pg::Error& e) {
    if (e.retryable()) throw;
    if (e.job_not_held() || e.not_found()) {
      log_not_held(*s.run, s.kind == Settlement::Kind::complete ? "completion" : "settlement", e.what());
    } else if (s.kind == Settlement::Kind::complete) {
      // The result itself was refused (e.g. too large): record that as the job's failure.
      s = Settlement::fail(s.run, std::string("could not record the result: ") + e.what(), true);
      settle_one(conn, s);
      return;
    } else {
      util::log_event(spdlog::level::err, "job.settle_failed", {{"job_id", id}, {"error", e.what()}});
    }
  }
  finish_job(state_, *s.run);
  s.settled = true;
}

void settle_in_transaction(WorkerState& state, Settler& settler, Settlement s) {
  Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(5));
  for (;;) {
    try {
      auto conn = state.pool.acquire();
      pg::Transaction tx(*conn);
      s.in_completion(*conn);
      sql::complete_job(*conn, sql::JobAttempt::of(s.run->job()), s.result_json, state.config.worker_id);
      tx.commit();
      log_completed(*s.run);
      finish_job(state, *s.run);
      return;
    } catch (const pg::Error& e) {
      if (e.job_not_held() || e.not_found()) {
        log_not_held(*s.run, "completion", e.what());
        finish_job(state, *s.run);
        return;
      }
      if (e.retryable()) {
        const bool give_up = state.stopping.load() && Clock::now() >= state.deadline();
        if (!give_up) {
          std::this_thread::sleep_for(backoff.next());
          continue;
        }
        // Shutting down with the database away: the lease protects the job.
        util::log_event(spdlog::level::warn, "job.unsettled",
                        {{"job_id", s.run->job().id}, {"reason", "database unavailable at shutdown; the lease will expire"}});
        finish_job(state, *s.run);
        return;
      }
      tao::json::value details = {{"sqlstate", e.sqlstate()}};
      settler.submit(Settlement::fail(s.run, std::string("saving the result failed: ") + e.what(), false,
                                      tao::json::to_string(details)));
      return;
    } catch (const handlers::JobError& e) {
      std::optional<std::string> details;
      if (!e.details().is_null() && !e.details().is_uninitialized()) details = tao::json::to_string(e.details());
      settler.submit(Settlement::fail(s.run, e.what(), e.critical(), std::move(details)));
      return;
    } catch (const std::exception& e) {
      settler.submit(Settlement::fail(s.run, std::string("saving the result failed: ") + e.what(), false));
      return;
    } catch (...) {
      settler.submit(Settlement::fail(s.run, "saving the result failed: unknown exception", false));
      return;
    }
  }
}

}  // namespace examq::queue
