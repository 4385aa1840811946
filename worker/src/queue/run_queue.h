#pragma once
// Claimed jobs waiting for an executor, in claim order (priority first). Many producers and
// consumers; close() ends it. Thread-safe.

#include "queue/job_run.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace examq::queue {

class RunQueue {
 public:
  void push(std::vector<std::shared_ptr<JobRun>> runs);
  // Blocks for the next job; nullptr once closed.
  std::shared_ptr<JobRun> pop();
  // Stops handing out jobs and returns those still waiting (to be handed back).
  std::vector<std::shared_ptr<JobRun>> close();

 private:
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::shared_ptr<JobRun>> runs_;
  bool closed_ = false;
};

}  // namespace examq::queue
