#pragma once
// What the worker's components share. Owned by run_worker; components keep a reference.
// Every session names its role in application_name ("examq dispatcher host:pid", "examq
// settler ...", "examq lease-keeper ...", "examq handler ..."), visible in pg_stat_activity.

#include "pg/pool.h"
#include "queue/claim_sizer.h"
#include "queue/config.h"
#include "queue/held_jobs.h"
#include "queue/run_queue.h"
#include "util/wakeup.h"

#include <atomic>
#include <chrono>
#include <functional>

namespace examq::queue {

struct WorkerState {
  explicit WorkerState(const WorkerConfig& c)
      : config(c),
        sizer(c.concurrency, c.max_batch),
        // Handlers' own queries, their progress updates and completion transactions. Opened
        // lazily, so the cap costs nothing: two per running job (a handler holding a lease
        // while it reports progress) plus one.
        pool(c.conninfo, "examq handler " + c.worker_id, 2 * static_cast<std::size_t>(c.concurrency) + 1) {}

  const WorkerConfig& config;
  HeldJobs held;
  RunQueue run_queue;
  ClaimSizer sizer;
  pg::ConnectionPool pool;
  // Claimed and not yet finished running (queued + running): what the claim size is based on.
  std::atomic<int> unfinished{0};
  // Fired by executors when it is worth claiming again.
  util::Wakeup dispatcher_wakeup;
  // Set once shutdown starts; grace_deadline is then meaningful.
  std::atomic<bool> stopping{false};
  std::atomic<std::chrono::steady_clock::rep> grace_deadline{std::chrono::steady_clock::time_point::max().time_since_epoch().count()};

  // Called once, from whichever thread gets there last, when the dispatcher has connected
  // (schema checked, listening) and the lease keeper has made its first registry call: the
  // worker can claim and is visible. A detached worker tells the process that started it.
  std::function<void()> on_ready;
  void ready_part_done() {
    if (ready_parts_left.fetch_sub(1) == 1 && on_ready) on_ready();
  }
  std::atomic<int> ready_parts_left{2};

  std::chrono::steady_clock::time_point deadline() const {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(grace_deadline.load()));
  }
};

}  // namespace examq::queue
