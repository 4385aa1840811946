#pragma once
// `examq worker`: claims jobs and runs them until SIGTERM/SIGINT.
//
// Threads: a dispatcher (LISTEN + claims), `concurrency` executors (handlers), a settler
// (batched completions, failures, releases), a lease keeper (renewals), each component with
// its own database session; handlers share a small pool. The calling thread waits for a
// shutdown signal, then:
//   1. stops claiming and hands back (release_processing_job) jobs claimed but not started;
//   2. gives running jobs until the grace period ends to finish and be recorded;
//   3. hands back those still running (no retry used), records everything pending;
//   4. returns. A second signal ends the process at once (leases protect the jobs).

#include "handlers/registry.h"
#include "queue/config.h"
#include "util/shutdown_signals.h"

#include <functional>

namespace examq::queue {

struct WorkerExit {
  int code = 0;             // 0 after a requested shutdown, 1 after a fatal error
  bool threads_stuck = false;  // handlers still running (abandoned): exit with _Exit, not return
};

// on_ready, when given, is called once the worker has connected and registered (see
// WorkerState::on_ready).
WorkerExit run_worker(const WorkerConfig& config, const handlers::Registry& registry, util::ShutdownSignals& signals,
                      std::function<void()> on_ready = {});

}  // namespace examq::queue
