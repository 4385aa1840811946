#include "queue/job_context.h"

#include "pg/error.h"
#include "queue/queue_sql.h"
#include "util/log.h"

#include <algorithm>

namespace examq::queue {

WorkerJobContext::WorkerJobContext(JobRun& run, WorkerState& state) : run_(run), state_(state) {}

void WorkerJobContext::check_cancelled() const {
  if (run_.abandoned()) throw handlers::JobAbandoned();
  if (run_.cancel_requested()) throw handlers::JobCancelled();
}

std::chrono::steady_clock::time_point WorkerJobContext::deadline() const {
  return state_.stopping.load() ? state_.deadline() : std::chrono::steady_clock::time_point::max();
}

void WorkerJobContext::progress(int percentage, std::string_view step) {
  check_cancelled();
  percentage = std::clamp(percentage, 0, 100);
  if (!throttle_.should_send(percentage, step)) return;

  const auto sent = JobRun::Clock::now();
  bool cancel = false;
  try {
    auto send = [&] {
      auto conn = state_.pool.acquire();
      return sql::update_progress(*conn, sql::JobAttempt::of(run_.job()), percentage, step, state_.config.worker_id,
                                  state_.config.lease);
    };
    try {
      cancel = send();
    } catch (const pg::Error& e) {
      // The same figures and a lease extension: sending it twice does no harm, so a session
      // lost under it (a server restart) gets it sent once more on a fresh one.
      if (!e.connection_lost()) throw;
      cancel = send();
    }
    run_.extend_lease(sent + state_.config.lease);
  } catch (const pg::Error& e) {
    if (e.job_not_held() || e.not_found()) {
      util::log_event(spdlog::level::warn, "job.lease_lost",
                      {{"job_id", run_.job().id}, {"job_type", run_.job().type}, {"error", e.what()}});
      run_.abandon();
      throw handlers::JobAbandoned();
    }
    // Progress is informative: a lost connection or a rejected update must not fail the job.
    // The lease keeper keeps the lease alive meanwhile.
    util::log_event(spdlog::level::debug, "job.progress_not_recorded",
                    {{"job_id", run_.job().id}, {"error", e.what()}});
    return;
  }
  if (throttle_.step_changed() || percentage == 100) {
    util::log_event(spdlog::level::info, "job.progress",
                    {{"job_id", run_.job().id}, {"job_type", run_.job().type}, {"percentage", percentage}, {"step", step}});
  }
  if (cancel) {
    run_.request_cancel();
    throw handlers::JobCancelled();
  }
}

}  // namespace examq::queue
