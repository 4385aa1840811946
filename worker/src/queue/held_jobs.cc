#include "queue/held_jobs.h"

namespace examq::queue {

std::shared_ptr<JobRun> HeldJobs::add(const std::shared_ptr<JobRun>& run) {
  std::lock_guard lock(mu_);
  std::shared_ptr<JobRun>& slot = jobs_[run->job().id];
  std::shared_ptr<JobRun> replaced = std::move(slot);
  slot = run;
  return replaced;
}

void HeldJobs::remove(const JobRun& run) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(run.job().id);
  if (it != jobs_.end() && it->second.get() == &run) jobs_.erase(it);
}

std::shared_ptr<JobRun> HeldJobs::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second;
}

bool HeldJobs::contains(const std::string& id, int attempt) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  return it != jobs_.end() && it->second->job().attempt == attempt;
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
