#include "queue/run_queue.h"

namespace examq::queue {

void RunQueue::push(std::vector<std::shared_ptr<JobRun>> runs) {
  {
    std::lock_guard lock(mu_);
    for (auto& r : runs) runs_.push_back(std::move(r));
  }
  if (runs.size() == 1) {
    ready_.notify_one();
  } else {
    ready_.notify_all();
  }
}

std::shared_ptr<JobRun> RunQueue::pop() {
  std::unique_lock lock(mu_);
  ready_.wait(lock, [&] { return closed_ || !runs_.empty(); });
  if (closed_) return nullptr;
  auto run = std::move(runs_.front());
  runs_.pop_front();
  return run;
}

std::vector<std::shared_ptr<JobRun>> RunQueue::close() {
  std::vector<std::shared_ptr<JobRun>> left;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    left.assign(std::make_move_iterator(runs_.begin()), std::make_move_iterator(runs_.end()));
    runs_.clear();
  }
  ready_.notify_all();
  return left;
}

}  // namespace examq::queue
