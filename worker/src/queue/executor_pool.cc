#include "queue/executor_pool.h"

#include "metrics/registry.h"
#include "queue/job_runner.h"
#include "util/log.h"

namespace examq::queue {

using Clock = std::chrono::steady_clock;

ExecutorPool::ExecutorPool(WorkerState& state, const handlers::Registry& registry, Settler& settler)
    : state_(state), registry_(registry), settler_(settler) {}

ExecutorPool::~ExecutorPool() { join_or_detach(); }

void ExecutorPool::start(int threads) {
  {
    std::lock_guard lock(mu_);
    alive_ = threads;
  }
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
}

bool ExecutorPool::wait_finished(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return exited_.wait_until(lock, deadline, [&] { return alive_ == 0; });
}

void ExecutorPool::join_or_detach() {
  bool all_done;
  {
    std::lock_guard lock(mu_);
    all_done = alive_ == 0;
  }
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    if (all_done) {
      t.join();
    } else {
      t.detach();
    }
  }
  threads_.clear();
}

void ExecutorPool::loop() {
  while (auto run = state_.run_queue.pop()) {
    const auto t0 = Clock::now();
    execute(run);
    state_.sizer.record_run(std::chrono::duration_cast<util::Duration>(Clock::now() - t0));
    const int left = state_.unfinished.fetch_sub(1) - 1;
    if (state_.sizer.to_claim(left, static_cast<int>(state_.held.size())) > 0) state_.dispatcher_wakeup.notify();
  }
  {
    std::lock_guard lock(mu_);
    --alive_;
  }
  exited_.notify_all();
}

void ExecutorPool::execute(const std::shared_ptr<JobRun>& run) {
  if (const std::shared_ptr<JobRun>& older = run->runs_after()) {
    // An older attempt of this job still runs here (it was told to stop). Two handlers of one
    // job at once could both write its paper; wait for it, up to a lease. A handler that
    // ignores being abandoned that long keeps us from running the job: hand it back instead.
    if (!older->wait_done(Clock::now() + state_.config.lease)) {
      if (run->transition(RunState::queued, RunState::settling)) {
        util::log_event(spdlog::level::warn, "job.deferred",
                        {{"job_id", run->job().id}, {"attempt", run->job().attempt},
                         {"reason", "an older attempt's handler is still running in this worker"}});
        settler_.submit(Settlement::of(Settlement::Kind::release, run));
      }
      return;
    }
  }
  // Handed back at shutdown, or lost, while it waited.
  if (!run->transition(RunState::queued, RunState::running)) return;
  run->mark_started();
  if (run->cancel_requested()) {
    // Cancelled before it started: no need to run it at all.
    if (run->transition(RunState::running, RunState::settling)) settler_.submit(Settlement::of(Settlement::Kind::cancel, run));
    return;
  }
  WorkerJobContext ctx(*run, state_);
  metrics::Registry& metrics = metrics::registry();
  metrics.jobs_running.fetch_add(1, std::memory_order_relaxed);
  Settlement outcome = run_job(run, registry_, ctx);
  metrics.jobs_running.fetch_sub(1, std::memory_order_relaxed);
  metrics.observe_run(run->job().type, std::chrono::duration<double>(Clock::now() - run->started_at()).count());
  route(std::move(outcome));
}

void ExecutorPool::route(Settlement s) {
  JobRun& run = *s.run;
  if (s.kind == Settlement::Kind::none) {
    // Abandoned: the lease was lost (someone else has the job) or it was handed back.
    if (run.transition(RunState::running, RunState::done)) finish_job(state_, run);
    return;
  }
  // Shutdown may have handed the job back while the handler was finishing: the release won.
  if (!run.transition(RunState::running, RunState::settling)) {
    util::log_event(spdlog::level::info, "job.outcome_dropped",
                    {{"job_id", run.job().id}, {"job_type", run.job().type}, {"reason", "handed back at shutdown before it finished"}});
    return;
  }
  if (s.kind == Settlement::Kind::complete && s.in_completion) {
    settle_in_transaction(state_, settler_, std::move(s));
  } else {
    settler_.submit(std::move(s));
  }
}

}  // namespace examq::queue
