#pragma once
// A worker in the background (`examq worker --detach`, `examq up --worker`), at most one per
// $EXAMQ_HOME:
//
//   $EXAMQ_HOME/worker.pid   its pid. The worker holds an flock on this file for as long as it
//                            lives, so "is it alive" never takes a recycled pid for it and two
//                            starts cannot both win.
//   $EXAMQ_HOME/worker.log   what it logs (appended).
//
// The starting process waits, on a socket pair, until the worker says it is ready (connected, schema
// checked, registered): returning means it is up, and a worker that fails at start is reported
// with the end of its log instead.

#include "util/duration.h"

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace examq::cli {

struct DetachedWorker {
  int pid = 0;
  std::string log;  // absolute path of its log file
};

// Thrown by start_detached_worker when the home already has a live detached worker.
class WorkerAlreadyRunning : public std::runtime_error {
 public:
  WorkerAlreadyRunning(int pid, const std::string& log);
  int pid() const { return pid_; }

 private:
  int pid_;
};

std::string detached_worker_log(const std::string& home);
// The pid of home's detached worker while it lives (it holds the lock on worker.pid).
std::optional<int> detached_worker_pid(const std::string& home);

// Starts `examq worker ARGS` in its own session, its output appended to worker.log, and waits
// up to ready_timeout for it to be ready. `db` (a --db given to the starting command) reaches
// the worker as EXAMQ_DB, not on its command line. Throws WorkerAlreadyRunning, or
// std::runtime_error (the worker exited or was not ready in time: it is stopped, and the error
// carries the end of its log).
DetachedWorker start_detached_worker(const std::string& home, const std::vector<std::string>& worker_args,
                                     const std::string& db, std::chrono::seconds ready_timeout);

// Stops home's detached worker, if one lives: SIGTERM, then waits for its --shutdown-grace
// (read from its command line, where start_detached_worker always puts it) plus 10 s to
// settle, then SIGKILL. Returns what it did ("worker 123 stopped"), nullopt when none lived.
std::optional<std::string> stop_detached_worker(const std::string& home);

// In the worker process: takes over what start_detached_worker handed it (the lock on
// worker.pid, the readiness socket) and removes them from the environment, so render children
// inherit neither. Returns the callback that says "ready", or an empty function when this
// worker was not started detached.
std::function<void()> adopt_detached_start();

}  // namespace examq::cli
