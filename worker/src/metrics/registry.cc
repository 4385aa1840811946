#include "metrics/registry.h"

#include <mutex>

namespace examq::metrics {
namespace {

// Seconds. Jobs run from milliseconds (noop, a cached paper) to many minutes (OCR of a long
// scan, a slow AI provider); pages from tens of milliseconds to the render timeout.
std::vector<double> run_bounds() { return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}; }
std::vector<double> render_bounds() { return {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}; }
std::vector<double> ocr_bounds() { return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120}; }

}  // namespace

std::string_view name(JobEvent event) {
  switch (event) {
    case JobEvent::claimed: return "claimed";
    case JobEvent::completed: return "completed";
    case JobEvent::failed: return "failed";
    case JobEvent::retried: return "retried";
    case JobEvent::snoozed: return "snoozed";
    case JobEvent::cancelled: return "cancelled";
    case JobEvent::released: return "released";
    case JobEvent::lease_lost: return "lease_lost";
  }
  return "unknown";
}

JobTypeMetrics::JobTypeMetrics() : run_seconds(run_bounds()) {}

Registry::Registry() : render_page_seconds(render_bounds()), ocr_page_seconds(ocr_bounds()) {}

JobTypeMetrics& Registry::of(std::string_view job_type) {
  {
    std::shared_lock lock(mu_);
    if (auto it = types_.find(job_type); it != types_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  if (auto it = types_.find(job_type); it != types_.end()) return *it->second;
  const std::string_view key = types_.size() < kMaxJobTypes ? job_type : kOtherJobTypes;
  auto [it, added] = types_.try_emplace(std::string(key));
  if (added) it->second = std::make_unique<JobTypeMetrics>();
  return *it->second;
}

void Registry::count(std::string_view job_type, JobEvent event) {
  of(job_type).events[static_cast<std::size_t>(event)].fetch_add(1, std::memory_order_relaxed);
}

void Registry::observe_run(std::string_view job_type, double seconds) { of(job_type).run_seconds.observe(seconds); }

void Registry::for_each_type(const std::function<void(const std::string&, const JobTypeMetrics&)>& f) const {
  std::shared_lock lock(mu_);
  for (const auto& [type, m] : types_) f(type, *m);
}

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace examq::metrics
