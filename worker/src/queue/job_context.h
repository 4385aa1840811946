#pragma once
// The JobContext a handler runs with: progress through update_job_progress (throttled),
// cancellation seen by heartbeats or progress replies, the shutdown deadline, and pooled
// connections for the handler's own queries.

#include "handlers/handler.h"
#include "queue/job_run.h"
#include "queue/progress_throttle.h"
#include "queue/worker_state.h"

namespace examq::queue {

class WorkerJobContext final : public handlers::JobContext {
 public:
  WorkerJobContext(JobRun& run, WorkerState& state);

  const handlers::Job& job() const override { return run_.job(); }
  const std::string& worker_id() const override { return state_.config.worker_id; }
  void progress(int percentage, std::string_view step) override;
  bool cancelled() const override { return run_.cancel_requested() || run_.abandoned(); }
  void check_cancelled() const override;
  bool sleep_for(util::Duration d) override { return run_.sleep_for(d); }
  std::chrono::steady_clock::time_point deadline() const override;
  pg::ConnectionPool::Lease database() override { return state_.pool.acquire(); }

 private:
  JobRun& run_;
  WorkerState& state_;
  ProgressThrottle throttle_;
};

}  // namespace examq::queue
