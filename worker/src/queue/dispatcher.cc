#include "queue/dispatcher.h"

#include "metrics/registry.h"
#include "pg/error.h"
#include "queue/queue_sql.h"
#include "schema/compatibility.h"
#include "util/log.h"

#include <poll.h>

#include <tao/json/from_string.hpp>

#include <algorithm>

namespace examq::queue {

using Clock = std::chrono::steady_clock;

namespace {
// Consecutive full claims after which the dispatcher stops listening (see loop()).
constexpr int kUnlistenAfterFullBatches = 3;
}  // namespace

Dispatcher::Dispatcher(WorkerState& state, std::function<void(const std::string&)> on_fatal)
    : state_(state),
      on_fatal_(std::move(on_fatal)),
      listener_({"processing_jobs_available"}),
      session_(state.config.conninfo, "examq dispatcher " + state.config.worker_id, "dispatcher",
               [this](pg::Connection& conn) { on_connect(conn); }) {
  if (state.config.listen_apart()) {
    listen_session_ = std::make_unique<Session>(state.config.listen_on(), "examq listener " + state.config.worker_id,
                                                "listener", [this](pg::Connection& conn) { on_listen_connect(conn); });
  }
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() { thread_ = std::thread([this] { loop(); }); }

void Dispatcher::stop() {
  stop_.store(true);
  state_.dispatcher_wakeup.notify();
  if (thread_.joinable()) thread_.join();
  // No more claims, so no more LISTEN: leave at once (this also shows in pg_stat_activity
  // that the worker has begun shutting down).
  session_.close();
  if (listen_session_) listen_session_->close();
}

bool Dispatcher::sleep(util::Duration d) {
  // Interruptible by stop(): wait on the wake-up fd rather than sleeping blind.
  auto deadline = Clock::now() + d;
  while (!stop_.load()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return true;
    pollfd pfd{state_.dispatcher_wakeup.fd(), POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000)));
    state_.dispatcher_wakeup.drain();
  }
  return false;
}

void Dispatcher::on_connect(pg::Connection& conn) {
  // On every (re)connect: the database may have been restored from a backup older than us.
  try {
    schema::require_schema(conn);
  } catch (const schema::SchemaMismatch& e) {
    throw pg::Error(e.what(), "42883", "examq schema too old", {}, {}, {}, false);  // not retryable: fatal
  }
  if (!listen_session_) {
    listener_.subscribe(conn);
    listening_ = true;
    full_batches_ = 0;
  }
  release_orphans(conn);
  need_claim_ = true;
}

void Dispatcher::on_listen_connect(pg::Connection& conn) {
  listener_.subscribe(conn);
  listening_ = true;
  full_batches_ = 0;
  // Notifications sent while no session listened are lost: claim to catch up.
  need_claim_ = true;
}

void Dispatcher::release_orphans(pg::Connection& conn) {
  for (const sql::JobAttempt& held : sql::jobs_held_by(conn, state_.config.worker_id)) {
    // Held here under this very attempt: ours. Any other attempt (a claim whose reply was lost,
    // possibly of a job an older local run still works on) goes back.
    if (state_.held.contains(held.id, held.attempt)) continue;
    try {
      sql::SettledRow row = sql::release_job(conn, held, state_.config.worker_id);
      util::log_event(spdlog::level::warn, "job.released",
                      {{"job_id", held.id}, {"attempt", held.attempt}, {"status", row.status},
                       {"reason", "claimed when the connection was lost"}});
    } catch (const pg::Error& e) {
      if (!e.job_not_held() && !e.not_found()) throw;
    }
  }
}

void Dispatcher::supersede(const std::shared_ptr<JobRun>& stale, JobRun& fresh) {
  // This process claimed a job it still runs under an older attempt: that attempt's lease ran
  // out (the process was paused, or a heartbeat failed) and the job was rescued back to us.
  // The database already refuses the old attempt's settlement; here the old run is told to
  // stop, and the new one waits for it, so one process never runs one job's handler twice.
  util::log_event(spdlog::level::warn, "job.lease_lost",
                  {{"job_id", stale->job().id}, {"job_type", stale->job().type}, {"attempt", stale->job().attempt},
                   {"outcome_dropped", "superseded by attempt " + std::to_string(fresh.job().attempt)}});
  metrics::registry().count(stale->job().type, metrics::JobEvent::lease_lost);
  stale->abandon();
  if (!stale->transition(RunState::queued, RunState::done) && stale->state() != RunState::done) {
    fresh.wait_for_before_start(stale);
  }
}

bool Dispatcher::relevant(const std::vector<pg::Notification>& notes) const {
  const auto& mine = state_.config.job_types;
  if (mine.empty()) return !notes.empty();
  for (const pg::Notification& n : notes) {
    try {
      tao::json::value v = tao::json::from_string(n.payload);
      const tao::json::value* types = v.is_object() ? v.find("job_types") : nullptr;
      if (types == nullptr || !types->is_array()) return true;  // null: any type
      for (const tao::json::value& t : types->get_array()) {
        if (t.is_string() && std::find(mine.begin(), mine.end(), t.get_string()) != mine.end()) return true;
      }
    } catch (const std::exception&) {
      return true;  // not ours to judge: claim
    }
  }
  return false;
}

int Dispatcher::claim(pg::Connection& conn, int n) {
  const auto sent = Clock::now();
  std::vector<handlers::Job> jobs =
      sql::claim_jobs(conn, n, state_.config.worker_id, state_.config.job_types, state_.config.lease);
  const auto now = Clock::now();
  state_.sizer.record_claim(std::chrono::duration_cast<util::Duration>(now - sent));
  util::log_event(spdlog::level::debug, "claim.round_trip",
                  {{"asked", n}, {"got", jobs.size()}, {"ms", std::chrono::duration<double, std::milli>(now - sent).count()}});
  if (jobs.empty()) return 0;

  std::vector<std::shared_ptr<JobRun>> runs;
  runs.reserve(jobs.size());
  for (handlers::Job& job : jobs) {
    util::log_event(spdlog::level::info, "job.claimed",
                    {{"job_id", job.id}, {"job_type", job.type}, {"attempt", job.attempt}, {"priority", job.priority}});
    metrics::registry().count(job.type, metrics::JobEvent::claimed);
    auto run = std::make_shared<JobRun>(std::move(job), sent + state_.config.lease);
    if (std::shared_ptr<JobRun> stale = state_.held.add(run)) supersede(stale, *run);
    runs.push_back(std::move(run));
  }
  const int got = static_cast<int>(runs.size());
  state_.unfinished.fetch_add(got);
  state_.run_queue.push(std::move(runs));
  return got;
}

void Dispatcher::loop() {
  Backoff error_backoff(std::chrono::milliseconds(100), std::max<util::Duration>(state_.config.poll_interval, std::chrono::seconds(1)));
  auto last_claim = Clock::now();
  std::vector<pg::Notification> notes;
  while (!stop_.load()) {
    pg::Connection* conn = nullptr;
    pg::Connection* listen_conn = nullptr;  // where LISTEN and the wait happen
    try {
      conn = session_.get([this](util::Duration d) { return sleep(d); });
      listen_conn = conn;
      if (conn != nullptr && listen_session_) listen_conn = listen_session_->get([this](util::Duration d) { return sleep(d); });
    } catch (const pg::Error& e) {
      on_fatal_(e.what());
      return;
    }
    if (conn == nullptr || listen_conn == nullptr) return;
    if (!ready_told_) {
      ready_told_ = true;
      state_.ready_part_done();
    }
    try {
      const int n = state_.sizer.to_claim(state_.unfinished.load(), static_cast<int>(state_.held.size()));
      if (need_claim_ && n > 0) {
        const int got = claim(*conn, n);
        last_claim = Clock::now();
        // A full batch means there is probably more; a short one means the queue (for us) is
        // empty until the next notification or poll.
        need_claim_ = got == n;
        error_backoff.reset();
        // While batch after batch comes back full, notifications tell us nothing, and reading
        // them costs the server: every job's changes are queued, and our backend would read
        // and discard each one. Stop listening until the queue runs short again.
        full_batches_ = need_claim_ ? full_batches_ + 1 : 0;
        if (listening_ && full_batches_ >= kUnlistenAfterFullBatches) {
          listener_.unsubscribe(*listen_conn);
          listening_ = false;
          util::log_event(spdlog::level::debug, "dispatcher.unlisten", {{"reason", "draining a backlog"}});
        }
        continue;
      }
      if (!need_claim_ && !listening_) {
        // About to wait for news: listen first, then claim once more, so a job inserted
        // between the last claim and the LISTEN is not missed.
        listener_.subscribe(*listen_conn);
        listening_ = true;
        need_claim_ = true;
        util::log_event(spdlog::level::debug, "dispatcher.listen", {{"reason", "queue ran short"}});
        continue;
      }
      // Nothing to do until a notification, a wake-up (an executor freed up, or stop), or the
      // poll interval. While we cannot take more (need_claim_ with no room), only a wake-up
      // matters; the socket is still watched so a lost connection is noticed.
      auto deadline = need_claim_ ? Clock::now() + std::chrono::seconds(60) : last_claim + state_.config.poll_interval;
      notes.clear();
      switch (listener_.wait(*listen_conn, &state_.dispatcher_wakeup, deadline, notes)) {
        case pg::Listener::Wake::notified:
          if (relevant(notes)) need_claim_ = true;
          break;
        case pg::Listener::Wake::timed_out:
          if (!need_claim_) need_claim_ = true;  // the poll
          break;
        case pg::Listener::Wake::woken:
          break;
      }
    } catch (const pg::Error& e) {
      if (e.retryable()) {
        session_.reset_if_broken(e, /*force=*/true);
        if (listen_session_) listen_session_->reset_if_broken(e, /*force=*/true);
        need_claim_ = true;
        continue;
      }
      // Say it once per outage, then keep trying at a slower pace (a permission can be granted,
      // a function fixed) without flooding the log.
      if (error_backoff.attempts() == 0) util::log_event(spdlog::level::err, "claim.failed", {{"error", e.what()}});
      need_claim_ = true;
      if (!sleep(error_backoff.next())) return;
    }
  }
}

}  // namespace examq::queue
