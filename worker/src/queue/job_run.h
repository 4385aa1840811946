#pragma once
// One claimed job inside the worker, shared by the dispatcher, an executor, the lease keeper
// and the settler. Its state machine decides, race-free, who settles it:
//
//   queued ──> running ──> settling ──> done
//      │          │
//      └──────────┴──> settling (handed back at shutdown: release) / done (lease lost)
//
// Only the thread whose compare-and-swap moves a job into `settling` may settle it.

#include "handlers/job.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace examq::queue {

enum class RunState { queued, running, settling, done };

class JobRun {
 public:
  using Clock = std::chrono::steady_clock;

  JobRun(handlers::Job job, Clock::time_point lease_expires);

  const handlers::Job& job() const { return job_; }

  RunState state() const { return state_.load(std::memory_order_acquire); }
  // Moves from `from` to `to`; false (and no change) when the state was not `from`.
  bool transition(RunState from, RunState to);

  // Our conservative view of the lease: the moment the renewal request was sent plus the lease.
  Clock::time_point lease_expires() const;
  void extend_lease(Clock::time_point expires);
  bool lease_valid(Clock::time_point now = Clock::now()) const { return now < lease_expires(); }

  // Cancellation requested by an admin (seen by a heartbeat or a progress update).
  bool cancel_requested() const { return cancel_requested_.load(std::memory_order_acquire); }
  void request_cancel();
  // The worker gave the job up: its lease was lost, or it was handed back at shutdown.
  bool abandoned() const { return abandoned_.load(std::memory_order_acquire); }
  void abandon();

  // Sleeps up to d; returns false when woken early by request_cancel() or abandon().
  bool sleep_for(std::chrono::microseconds d);

  // A newer attempt of a job an older run in this process has not finished: this run starts
  // only once `older` is done (see Dispatcher::supersede).
  void wait_for_before_start(std::shared_ptr<JobRun> older);
  const std::shared_ptr<JobRun>& runs_after() const { return runs_after_; }
  // Blocks until this run is done or the deadline passes; true when done.
  bool wait_done(Clock::time_point deadline);

  Clock::time_point claimed_at() const { return claimed_at_; }
  Clock::time_point started_at() const { return started_at_; }
  void mark_started() { started_at_ = Clock::now(); }

 private:
  void interrupt();

  const handlers::Job job_;
  std::atomic<RunState> state_{RunState::queued};
  std::atomic<Clock::rep> lease_expires_;
  std::atomic<bool> cancel_requested_{false};
  std::atomic<bool> abandoned_{false};
  const Clock::time_point claimed_at_;
  Clock::time_point started_at_{};
  std::shared_ptr<JobRun> runs_after_;
  std::mutex mu_;
  std::condition_variable wake_;
};

}  // namespace examq::queue
