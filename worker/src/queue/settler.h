#pragma once
// Records how jobs ended, on its own connection and thread. Completions that arrive together
// are grouped into one complete_processing_jobs call (one commit for many jobs: the queue's
// throughput rests on this), releases into one statement calling release_processing_job for
// each; failures, cancellations and snoozes go through their single functions. Nothing is batched by waiting: a lone completion is sent at once, and whatever
// arrives during a round trip forms the next batch.
//
// A settle that fails because the connection was lost is retried after reconnecting (the
// lease protects the job meanwhile; if it ran out and the job was taken over, the database
// says so and the outcome is dropped). Completions whose handler left an in_completion
// callback are settled by the executor itself (settle_in_transaction), not here.

#include "queue/session.h"
#include "queue/settlement.h"
#include "queue/worker_state.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace examq::queue {

class Settler {
 public:
  explicit Settler(WorkerState& state);
  ~Settler();

  void start();
  // Queues a settlement; thread-safe, never blocks on the database.
  void submit(Settlement s);
  // Waits until everything submitted so far is recorded (or given up), retrying through
  // outages until `deadline`. Returns false if work was left when the deadline passed.
  bool drain(std::chrono::steady_clock::time_point deadline);
  // Stops the thread (call after drain()).
  void stop();

 private:
  void loop();
  void settle(std::vector<Settlement>& batch);
  // Each returns normally when the item is finished (recorded or rejected for good) and
  // throws pg::Error when it should be retried after a reconnect.
  void complete_batch(pg::Connection& conn, std::vector<Settlement*>& items);
  void release_batch(pg::Connection& conn, std::vector<Settlement*>& items);
  void settle_one(pg::Connection& conn, Settlement& s);
  bool sleep(std::chrono::microseconds d);

  WorkerState& state_;
  Session session_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Settlement> pending_;
  std::size_t in_flight_ = 0;
  bool stop_ = false;
  std::chrono::steady_clock::time_point give_up_at_ = std::chrono::steady_clock::time_point::max();
};

// Completes a job whose handler returned an in_completion callback: runs the callback and
// complete_processing_job in one transaction on a pooled connection, retrying the whole
// transaction after a lost connection. A callback that throws turns into a failure, handed
// to `settler`. Runs on the executor thread.
void settle_in_transaction(WorkerState& state, Settler& settler, Settlement s);

// Shared bookkeeping once a job's outcome is recorded or known to be void.
void finish_job(WorkerState& state, JobRun& run);

}  // namespace examq::queue
