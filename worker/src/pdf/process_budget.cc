#include "pdf/process_budget.h"

#include <unistd.h>

namespace examq::pdf {

int online_cpus() {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus > 0 ? static_cast<int>(cpus) : 1;
}

ProcessBudget& ProcessBudget::instance() {
  static ProcessBudget budget;
  return budget;
}

bool ProcessBudget::try_acquire() {
  int running = running_.load();
  while (running < limit_.load()) {
    if (running_.compare_exchange_weak(running, running + 1)) return true;
  }
  return false;
}

}  // namespace examq::pdf
