#pragma once
// Every job this worker holds a lease on: claimed and not yet settled (queued, running, or
// waiting to be settled). The lease keeper renews exactly these; after a reconnect, any job the
// database says we hold that is not here is an orphan (a claim whose reply was lost) and is
// handed back. Thread-safe.

#include "queue/job_run.h"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace examq::queue {

// One entry per job id: the newest attempt this process claimed. An older attempt's run may
// outlive its entry (it lost its lease and was claimed again); removing it leaves the newer
// attempt's entry alone.
class HeldJobs {
 public:
  // Adds run; returns the run of an older attempt of the same job it replaced, if any.
  std::shared_ptr<JobRun> add(const std::shared_ptr<JobRun>& run);
  // Removes run's entry if it is still run's attempt's.
  void remove(const JobRun& run);
  std::shared_ptr<JobRun> find(const std::string& id) const;
  bool contains(const std::string& id, int attempt) const;
  std::vector<std::shared_ptr<JobRun>> snapshot() const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<JobRun>> jobs_;
};

}  // namespace examq::queue
