#pragma once
// `noop`: a diagnostic job type for smoke tests and benchmarks. It does no real work.
//
// Payload (all optional):
//   sleep_ms       integer >= 0   time to spend, spread over the steps (default 0)
//   steps          integer >= 0   progress reports "Step i of K" at i*100/K percent (default 0)
//   fail           "transient" | "critical" | "exception" | "snooze"
//                  after sleeping, fail with a retryable JobError, a critical JobError, a
//                  plain std::runtime_error (an unclassified error: retryable), or snooze
//                  (back to pending without using a retry) for snooze_ms
//   snooze_ms      integer >= 0   the snooze's delay (default 0)
//   fail_attempts  integer >= 1   only fail while the attempt number is <= this (default:
//                  every attempt), e.g. 2 = fail twice then succeed
//   log_execution  boolean        record the completing attempt in examq_noop_executions
//                  (sql/0018), in the completion transaction: a stale attempt writes nothing
//   read_database  boolean        run a SELECT 1 on a pooled connection first
// Result: {"handler_started_at": <epoch microseconds when run() began>, "attempt": N}.
// An invalid payload fails the job as critical. Cancellation is honoured between steps and
// during sleeps.

#include "handlers/handler.h"

namespace examq::handlers {

class NoopHandler final : public Handler {
 public:
  JobOutcome run(JobContext& ctx) override;
};

}  // namespace examq::handlers
