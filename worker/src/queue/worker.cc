#include "queue/worker.h"

#include "queue/dispatcher.h"
#include "queue/executor_pool.h"
#include "queue/lease_keeper.h"
#include "queue/settler.h"
#include "queue/worker_state.h"
#include "util/log.h"

#include <poll.h>
#include <signal.h>

#include <mutex>

namespace examq::queue {
namespace {

using Clock = std::chrono::steady_clock;

// Blocks until a shutdown signal or a fatal error wakes us.
void wait_for_shutdown(util::ShutdownSignals& signals, util::Wakeup& fatal) {
  while (!signals.requested()) {
    pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {fatal.fd(), POLLIN, 0}};
    ::poll(fds, 2, -1);
    if (fds[1].revents & POLLIN) return;
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "*" : out;
}

}  // namespace

WorkerExit run_worker(const WorkerConfig& config, const handlers::Registry& registry, util::ShutdownSignals& signals,
                      std::function<void()> on_ready) {
  WorkerState state(config);
  state.on_ready = std::move(on_ready);
  util::Wakeup fatal_wakeup;
  std::mutex fatal_mu;
  std::string fatal_error;

  Settler settler(state);
  LeaseKeeper lease_keeper(state);
  ExecutorPool executors(state, registry, settler);
  Dispatcher dispatcher(state, [&](const std::string& error) {
    {
      std::lock_guard lock(fatal_mu);
      fatal_error = error;
    }
    fatal_wakeup.notify();
  });

  util::log_event(spdlog::level::info, "worker.started",
                  {{"concurrency", config.concurrency}, {"job_types", join(config.job_types)},
                   {"lease", util::format_duration(config.lease)}, {"poll_interval", util::format_duration(config.poll_interval)},
                   {"db_pooler", config.transaction_pooler ? "transaction" : "none"}, {"listen_apart", config.listen_apart()}});
  settler.start();
  lease_keeper.start();
  executors.start(config.concurrency);
  dispatcher.start();

  wait_for_shutdown(signals, fatal_wakeup);
  WorkerExit exit;
  {
    std::lock_guard lock(fatal_mu);
    if (!fatal_error.empty()) {
      util::log_event(spdlog::level::critical, "worker.fatal", {{"error", fatal_error}});
      exit.code = 1;
    }
  }
  const auto grace_end = Clock::now() + config.shutdown_grace;
  state.grace_deadline.store(grace_end.time_since_epoch().count());
  state.stopping.store(true);
  if (exit.code == 0) {
    util::log_event(spdlog::level::info, "worker.stopping",
                    {{"signal", signals.signal_number() == SIGINT ? "SIGINT" : "SIGTERM"},
                     {"running", state.held.size()}, {"grace", util::format_duration(config.shutdown_grace)}});
  }

  // 1. No more claims; jobs that never started go straight back.
  dispatcher.stop();
  for (auto& run : state.run_queue.close()) {
    state.unfinished.fetch_sub(1);
    if (run->transition(RunState::queued, RunState::settling)) settler.submit(Settlement::of(Settlement::Kind::release, run));
  }

  // 2. Running jobs get the grace period.
  bool all_finished = executors.wait_finished(grace_end);

  // 3. Hand back what is still running; its handler's late outcome will be dropped.
  if (!all_finished) {
    for (auto& run : state.held.snapshot()) {
      if (run->transition(RunState::running, RunState::settling)) {
        run->abandon();
        settler.submit(Settlement::of(Settlement::Kind::release, run));
      }
    }
    // Cooperative handlers notice abandon() and stop; give them a moment to get out of the way.
    all_finished = executors.wait_finished(Clock::now() + std::chrono::milliseconds(200));
  }

  // 4. Record everything, retrying through an outage for a bounded time.
  // Past the lease there is nothing left to protect: the jobs are rescued by others anyway.
  const auto settle_deadline = Clock::now() + std::min<util::Duration>(config.lease, std::chrono::seconds(10));
  if (!settler.drain(settle_deadline)) {
    util::log_event(spdlog::level::warn, "worker.unsettled", {{"jobs", state.held.size()}, {"reason", "database unavailable; leases will expire"}});
  }
  settler.stop();
  lease_keeper.stop();
  executors.join_or_detach();
  exit.threads_stuck = !all_finished;
  util::log_event(spdlog::level::info, "worker.stopped", {{"exit_code", exit.code}});
  return exit;
}

}  // namespace examq::queue
