#include "queue/claim_sizer.h"

#include <algorithm>

namespace examq::queue {
namespace {

// Weight 1/8 for the newest sample. Racing updates can lose a sample; this is an estimate.
void blend(std::atomic<std::int64_t>& avg, std::int64_t sample) {
  std::int64_t old = avg.load(std::memory_order_relaxed);
  std::int64_t next = old == 0 ? sample : old + (sample - old) / 8;
  avg.store(std::max<std::int64_t>(next, 1), std::memory_order_relaxed);
}

// The prefetch window, in claim round trips, and its floor.
constexpr std::int64_t kWindowRoundTrips = 4;
constexpr std::int64_t kMinWindowUs = 5000;

}  // namespace

ClaimSizer::ClaimSizer(int concurrency, int max_batch) : concurrency_(concurrency), max_batch_(max_batch) {}

void ClaimSizer::record_run(util::Duration busy) { blend(avg_run_us_, std::max<std::int64_t>(busy.count(), 1)); }

void ClaimSizer::record_claim(util::Duration round_trip) {
  blend(avg_claim_us_, std::max<std::int64_t>(round_trip.count(), 1));
}

int ClaimSizer::prefetch() const {
  const std::int64_t run = avg_run_us_.load(std::memory_order_relaxed);
  if (run == 0) return 0;
  const std::int64_t window = std::max(kMinWindowUs, kWindowRoundTrips * avg_claim_us_.load(std::memory_order_relaxed));
  const std::int64_t jobs = concurrency_ * window / run;
  return static_cast<int>(std::min<std::int64_t>(jobs, 2LL * max_batch_));
}

int ClaimSizer::to_claim(int unfinished, int held) const {
  const int ahead = prefetch();
  const int buffer_room = concurrency_ + ahead - unfinished;   // executors and their buffer
  const int settle_room = concurrency_ + ahead + max_batch_ - held;  // back-pressure
  if (buffer_room <= 0 || settle_room <= 0) return 0;
  // Filling the prefetch buffer is worth a round trip only for a decent batch, or claims
  // would come a few jobs at a time.
  const int min_batch = std::max(1, std::min(max_batch_, ahead) / 2);
  // Settling is behind (more than a batch of finished jobs waits): let it catch up rather than
  // claim a handful at a time.
  if (settle_room < buffer_room && settle_room < min_batch) return 0;
  const int want = std::min(buffer_room, settle_room);
  // An idle executor is worth a round trip for a single job.
  const bool executor_idle = unfinished < concurrency_;
  if (!executor_idle && want < min_batch) return 0;
  return std::min(want, max_batch_);
}

}  // namespace examq::queue
