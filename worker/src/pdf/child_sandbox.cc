#include "pdf/child_sandbox.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace examq::pdf {

bool enter_child_sandbox(const ChildLimits& limits) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died before PDEATHSIG was armed; then we were reparented.
  if (limits.parent != 0 && getppid() != limits.parent) return false;
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0);
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  if (limits.memory_bytes > 0) {
    const rlimit as{limits.memory_bytes, limits.memory_bytes};
    setrlimit(RLIMIT_AS, &as);
  }
  return true;
}

void arm_cpu_limit(int seconds) {
  if (seconds <= 0) return;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  rlimit cpu{};
  getrlimit(RLIMIT_CPU, &cpu);
  const rlim_t used = static_cast<rlim_t>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + 1;
  rlim_t soft = used + static_cast<rlim_t>(seconds);
  if (cpu.rlim_max != RLIM_INFINITY && soft > cpu.rlim_max) soft = cpu.rlim_max;
  cpu.rlim_cur = soft;
  setrlimit(RLIMIT_CPU, &cpu);
}

}  // namespace examq::pdf
