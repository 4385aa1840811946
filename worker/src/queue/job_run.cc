#include "queue/job_run.h"

namespace examq::queue {

JobRun::JobRun(handlers::Job job, Clock::time_point lease_expires)
    : job_(std::move(job)), lease_expires_(lease_expires.time_since_epoch().count()), claimed_at_(Clock::now()) {}

bool JobRun::transition(RunState from, RunState to) {
  if (!state_.compare_exchange_strong(from, to, std::memory_order_acq_rel)) return false;
  if (to == RunState::done) interrupt();  // wakes wait_done()
  return true;
}

void JobRun::wait_for_before_start(std::shared_ptr<JobRun> older) { runs_after_ = std::move(older); }

bool JobRun::wait_done(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return wake_.wait_until(lock, deadline, [&] { return state() == RunState::done; });
}

JobRun::Clock::time_point JobRun::lease_expires() const {
  return Clock::time_point(Clock::duration(lease_expires_.load(std::memory_order_acquire)));
}

void JobRun::extend_lease(Clock::time_point expires) {
  // Renewals can complete out of order (heartbeat vs progress): keep the later one.
  Clock::rep want = expires.time_since_epoch().count();
  Clock::rep cur = lease_expires_.load(std::memory_order_acquire);
  while (cur < want && !lease_expires_.compare_exchange_weak(cur, want, std::memory_order_acq_rel)) {
  }
}

void JobRun::request_cancel() {
  cancel_requested_.store(true, std::memory_order_release);
  interrupt();
}

void JobRun::abandon() {
  abandoned_.store(true, std::memory_order_release);
  interrupt();
}

void JobRun::interrupt() {
  std::lock_guard lock(mu_);
  wake_.notify_all();
}

bool JobRun::sleep_for(std::chrono::microseconds d) {
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, d, [&] { return cancel_requested() || abandoned(); });
}

}  // namespace examq::queue
