#pragma once
// Renews the leases of every job the worker holds, in one heartbeat_processing_jobs call every
// lease / 3 (so two renewals can fail before a lease runs out), on its own connection and
// thread. It also carries news back: a job the database no longer lists as ours is abandoned
// (lease lost: someone else took it over), and a requested cancellation is passed to the
// running handler. On the same cadence, held jobs or not, it keeps the worker's row in the
// worker registry (queue/presence.h): registered at once on start, stopped on stop().

#include "queue/presence.h"
#include "queue/session.h"
#include "queue/worker_state.h"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace examq::queue {

class LeaseKeeper {
 public:
  explicit LeaseKeeper(WorkerState& state);
  ~LeaseKeeper();

  void start();
  void stop();

 private:
  void loop();
  bool renew_leases();
  void renew(pg::Connection& conn);
  bool sleep(std::chrono::microseconds d);

  WorkerState& state_;
  Session session_;
  Presence presence_;
  bool ready_told_ = false;  // WorkerState::ready_part_done called (first registry call made)
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool stop_ = false;
};

}  // namespace examq::queue
