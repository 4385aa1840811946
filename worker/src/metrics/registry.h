#pragma once
// What a worker counts about itself, for the Prometheus endpoint (`examq worker
// --metrics-listen`). One registry per process (registry()), always counting: the counters are
// relaxed atomics, cheaper than the log line written next to each of them, so the code that
// counts never asks whether anyone scrapes.

#include "metrics/histogram.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace examq::metrics {

// What happened to a job in this worker, one counter each per job type.
enum class JobEvent {
  claimed,    // taken from the queue (every attempt)
  completed,  // recorded as completed
  failed,     // failed for good (critical, or out of retries)
  retried,    // failed, back to pending for another attempt after its backoff
  snoozed,    // put back for later without using an attempt
  cancelled,  // its cancellation confirmed
  released,   // handed back unfinished (shutdown), no attempt used
  lease_lost, // another worker has it now: this worker's outcome was dropped
};
inline constexpr std::size_t kJobEvents = 8;
// "claimed", "completed", ...: the metric is examq_jobs_<name>_total.
std::string_view name(JobEvent event);

struct JobTypeMetrics {
  JobTypeMetrics();
  std::array<std::atomic<std::uint64_t>, kJobEvents> events{};
  Histogram run_seconds;  // a handler's run, whatever its outcome
};

class Registry {
 public:
  Registry();

  void count(std::string_view job_type, JobEvent event);
  void observe_run(std::string_view job_type, double seconds);

  // Jobs whose lease a heartbeat extended.
  std::atomic<std::uint64_t> lease_renewals{0};
  // Handlers running now.
  std::atomic<std::int64_t> jobs_running{0};
  // A page's rendering (and text extraction) in its render child, OCR not included; and the
  // OCR of a page that needed it.
  Histogram render_page_seconds;
  Histogram ocr_page_seconds;

  // Calls f for every job type seen so far, in name order, while holding a shared lock.
  void for_each_type(const std::function<void(const std::string&, const JobTypeMetrics&)>& f) const;

 private:
  JobTypeMetrics& of(std::string_view job_type);

  mutable std::shared_mutex mu_;  // taken exclusively only the first time a type is seen
  std::map<std::string, std::unique_ptr<JobTypeMetrics>, std::less<>> types_;
};

// The process's registry.
Registry& registry();

// Job types are labels: past this many distinct ones (only a worker claiming every type, fed
// made-up names, gets there) the rest are counted together under kOtherJobTypes.
inline constexpr std::size_t kMaxJobTypes = 100;
inline constexpr std::string_view kOtherJobTypes = "_other";

}  // namespace examq::metrics
