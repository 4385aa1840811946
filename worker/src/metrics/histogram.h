#pragma once
// A Prometheus histogram over fixed bucket bounds, written from any thread with atomics only
// (no lock on the hot path: a job's settling or a page's arrival only adds to two counters).

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace examq::metrics {

class Histogram {
 public:
  // Upper bounds in seconds, increasing; a +Inf bucket is implied.
  explicit Histogram(std::vector<double> bounds);

  void observe(double seconds);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
  };
  // Counts read bucket by bucket: a reading taken during observe() may miss the newest value,
  // but cumulative counts never decrease and +Inf is always the total of the buckets.
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

}  // namespace examq::metrics
