#pragma once
// The interface between the worker and the code that does a job type's work.
//
// A Handler is registered once per job type (see registry.h) and its run() is called from
// several executor threads at once, so it must be thread-safe (keep per-job state local).
// run() receives a JobContext for the claimed job and either returns a JobOutcome (the job
// completes with its result) or throws:
//   - JobError{message, critical, details}: a classified failure. Non-critical failures are
//     retried by the queue's rules (fail_processing_job); critical ones fail the job for good.
//   - JobCancelled (thrown for you by JobContext::progress / check_cancelled): the job ends
//     `cancelled`. Let it propagate.
//   - JobAbandoned (likewise): the worker no longer holds the job (lease lost, or shutdown
//     grace over and the job handed back); nothing is recorded. Let it propagate.
//   - JobSnoozed{delay, reason}: the job cannot proceed now (a provider rate-limits); it goes
//     back to pending for `delay` without using a retry (snooze_processing_job).
//   - anything else: the job fails (non-critical) with the exception's message. The worker is
//     never affected.

#include "handlers/job.h"
#include "pg/connection.h"
#include "pg/pool.h"
#include "util/duration.h"

#include <tao/json/value.hpp>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace examq::handlers {

// A failure the handler understands. `message` is what a person reads in error_message;
// `details` (a json object or null) goes to error_details.
class JobError : public std::runtime_error {
 public:
  explicit JobError(const std::string& message, bool critical = false,
                    tao::json::value details = tao::json::null)
      : std::runtime_error(message), critical_(critical), details_(std::move(details)) {}
  bool critical() const { return critical_; }
  const tao::json::value& details() const { return details_; }

 private:
  bool critical_;
  tao::json::value details_;
};

// Cancellation was requested for the job; the worker confirms it (status `cancelled`).
class JobCancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "job cancelled"; }
};

// The worker gave the job up (lease lost or handed back at shutdown); its outcome is void.
class JobAbandoned : public std::exception {
 public:
  const char* what() const noexcept override { return "job abandoned by the worker"; }
};

// Put the job back for `delay` without using a retry; the step reads "Snoozed" and the reason
// is kept in error_details.snooze_reason, since steps are broadcast to every LISTENer; `details`
// (a json object or null) is merged into error_details too. snooze_processing_job counts the
// snoozes there (error_details.snoozes, snoozed_seconds), which the next attempt reads from
// Job::error_details. A job whose cancellation was requested is cancelled instead.
class JobSnoozed : public std::exception {
 public:
  JobSnoozed(util::Duration delay, std::string reason, tao::json::value details = tao::json::null)
      : delay_(delay), reason_(std::move(reason)), details_(std::move(details)) {}
  util::Duration delay() const { return delay_; }
  const std::string& reason() const { return reason_; }
  const tao::json::value& details() const { return details_; }
  const char* what() const noexcept override { return reason_.c_str(); }

 private:
  util::Duration delay_;
  std::string reason_;
  tao::json::value details_;
};

// What a successful run returns.
struct JobOutcome {
  // Stored in processing_jobs.result. Should be an object.
  tao::json::value result = tao::json::empty_object;
  // Optional: runs inside the same transaction as complete_processing_job, just before it, so
  // whatever it writes (e.g. a paper's questions) commits atomically with the completion, or
  // not at all. It may run more than once if the transaction is retried after a lost
  // connection. A throw fails the job (a JobError as classified, anything else non-critical).
  std::function<void(pg::Connection&)> in_completion;
};

class JobContext {
 public:
  virtual ~JobContext() = default;

  virtual const Job& job() const = 0;
  virtual const std::string& worker_id() const = 0;

  // Reports progress (clamped to 0..100) and the current step (null step = unchanged is not
  // supported: pass the step). Throttled to a few database updates a second: the first report,
  // every change of step and 100% are always sent, others at most every 200 ms. Each update
  // also extends the lease. Throws JobCancelled when cancellation was requested and
  // JobAbandoned when the job is no longer held; database trouble is logged, not thrown.
  virtual void progress(int percentage, std::string_view step) = 0;

  // True once the job should stop: cancellation requested, or the worker gave it up.
  virtual bool cancelled() const = 0;
  // Throws JobCancelled / JobAbandoned when cancelled() is true, without a database call.
  virtual void check_cancelled() const = 0;
  // Sleeps for d, waking early when cancelled() becomes true. Returns false when woken early.
  virtual bool sleep_for(util::Duration d) = 0;

  // When the job ought to be finished: the end of the shutdown grace period once the worker is
  // stopping, time_point::max() otherwise. Long steps should check it.
  virtual std::chrono::steady_clock::time_point deadline() const = 0;

  // A pooled connection for the handler's own queries (reading the paper, its file...). It is
  // not the completion transaction (see JobOutcome::in_completion). Throws pg::Error.
  virtual pg::ConnectionPool::Lease database() = 0;
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual JobOutcome run(JobContext& ctx) = 0;
};

}  // namespace examq::handlers
