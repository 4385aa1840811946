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

class HeldJobs {
 public:
  void add(const std::shared_ptr<JobRun>& run);
  void remove(const std::string& id);
  std::shared_ptr<JobRun> find(const std::string& id) const;
  bool contains(const std::string& id) const;
  std::vector<std::shared_ptr<JobRun>> snapshot() const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<JobRun>> jobs_;
};

}  // namespace examq::queue
