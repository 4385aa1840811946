#pragma once
// The worker's row in the worker registry (examq_workers, sql/0008), so that operators and
// `examq workers` / `status` / `submit --wait` see it, idle or busy: registered at start, a
// heartbeat every lease-renewal round (one call, whatever the number of jobs held), marked
// stopped on a clean shutdown. A worker killed outright stops heartbeating and is listed as
// lost after examq.worker_timeout.
//
// Driven by the lease keeper, on its connection and thread. Never fatal: the registry is for
// people, the leases protect the jobs. A failure (e.g. a schema without the registry) is logged
// once, and once more when it works again; every round tries again.

#include "pg/connection.h"
#include "pg/error.h"
#include "queue/config.h"
#include "queue/queue_sql.h"

namespace examq::queue {

class Presence {
 public:
  Presence(const WorkerConfig& config, util::Duration heartbeat_interval);

  // Registers when not registered (first round, or the registry forgot this worker), else
  // heartbeats. Throws only what says the connection is broken (for the caller to reconnect).
  void beat(pg::Connection& conn);
  // Marks this worker stopped, when it was registered. Never throws.
  void leave(pg::Connection& conn);

 private:
  void failed(const char* doing, const pg::Error& e);

  sql::WorkerRegistration self_;
  bool registered_ = false;
  bool failing_ = false;  // the last call failed and was logged
};

}  // namespace examq::queue
