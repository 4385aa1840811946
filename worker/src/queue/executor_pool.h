#pragma once
// `concurrency` threads that take claimed jobs from the run queue, run their handlers, and
// hand the outcome to the settler. Ends when the run queue is closed.

#include "handlers/registry.h"
#include "queue/settler.h"
#include "queue/worker_state.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace examq::queue {

class ExecutorPool {
 public:
  ExecutorPool(WorkerState& state, const handlers::Registry& registry, Settler& settler);
  ~ExecutorPool();

  void start(int threads);
  // Waits until every thread has returned (after run_queue.close()) or deadline. True when all did.
  bool wait_finished(std::chrono::steady_clock::time_point deadline);
  // Joins finished threads; detaches any still stuck in a handler (the process is exiting).
  void join_or_detach();

 private:
  void loop();
  void execute(const std::shared_ptr<JobRun>& run);
  void route(Settlement s);

  WorkerState& state_;
  const handlers::Registry& registry_;
  Settler& settler_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable exited_;
  int alive_ = 0;
};

}  // namespace examq::queue
