#pragma once

#include <atomic>

namespace examq::pdf {

int online_cpus();

// Render children running in this process, against a process-wide limit (default: the number
// of online CPUs). Every render call takes its first unit unconditionally with acquire(), so
// each call progresses and the number of calls is bounded by the worker's own concurrency;
// further children only with try_acquire(), while the total is below the limit.
class ProcessBudget {
 public:
  static ProcessBudget& instance();

  void acquire() { ++running_; }
  bool try_acquire();
  void release() { --running_; }
  // limit <= 0 restores the default.
  void set_limit(int limit) { limit_ = limit > 0 ? limit : online_cpus(); }

 private:
  std::atomic<int> running_{0};
  std::atomic<int> limit_{online_cpus()};
};

// Holds one unit of the budget (already acquired) and gives it back when destroyed.
class BudgetToken {
 public:
  BudgetToken() = default;
  ~BudgetToken() { ProcessBudget::instance().release(); }
  BudgetToken(const BudgetToken&) = delete;
  BudgetToken& operator=(const BudgetToken&) = delete;
};

}  // namespace examq::pdf
