#pragma once
// How many jobs the dispatcher claims at a time.
//
// Free executors are always filled at once. Beyond that the worker claims ahead ("prefetch")
// only as much work as its executors will get through while the next claim is on its way:
// executors * window / average run time, where window is a few claim round trips. Short jobs
// (noop: microseconds) are therefore claimed by the hundred per round trip, which is how one
// worker reaches tens of thousands of jobs a second; long jobs (seconds or more) get no
// prefetch at all, so a job never waits in one worker's buffer while another worker is idle.
// Thread-safe: executors record run times while the dispatcher asks.

#include "util/duration.h"

#include <atomic>
#include <cstdint>

namespace examq::queue {

class ClaimSizer {
 public:
  ClaimSizer(int concurrency, int max_batch);

  // An executor spent `busy` on one job (handler plus bookkeeping).
  void record_run(util::Duration busy);
  // A claim round trip took `round_trip`.
  void record_claim(util::Duration round_trip);

  // Jobs to hold beyond the executors (0 until a run time has been measured).
  int prefetch() const;
  // How many to claim now, with `unfinished` jobs claimed but not finished running (queued or
  // running) and `held` claimed but not yet settled (unfinished plus those waiting to be
  // recorded): 0 when it is not worth a round trip yet, else at most max_batch.
  //
  // `held` is the back-pressure: when recording outcomes is slower than claiming, finished
  // jobs would pile up as `processing` rows, and every settle and claim would scan more of
  // them. So the worker claims only while at most one batch beyond its buffer awaits settling.
  int to_claim(int unfinished, int held) const;

 private:
  const int concurrency_;
  const int max_batch_;
  std::atomic<std::int64_t> avg_run_us_{0};    // exponentially weighted; 0 = unknown
  std::atomic<std::int64_t> avg_claim_us_{1000};
};

}  // namespace examq::queue
