#include "queue/held_jobs.h"

namespace examq::queue {

void HeldJobs::add(const std::shared_ptr<JobRun>& run) {
  std::lock_guard lock(mu_);
  jobs_[run->job().id] = run;
}

void HeldJobs::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  jobs_.erase(id);
}

std::shared_ptr<JobRun> HeldJobs::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second;
}

bool HeldJobs::contains(const std::string& id) const {
  std::lock_guard lock(mu_);
  return jobs_.count(id) != 0;
}

std::vector<std::shared_ptr<JobRun>> HeldJobs::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<JobRun>> out;
  out.reserve(jobs_.size());
  for (const auto& [id, run] : jobs_) out.push_back(run);
  return out;
}

std::size_t HeldJobs::size() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

}  // namespace examq::queue
