#pragma once

// Child-side only: the limits examq-render puts on itself before it touches the PDF. The parent
// cannot set them between fork and exec (it uses posix_spawn), and a child that sets its own
// limits before reading input is as bounded as one whose parent did.

#include <sys/types.h>

#include <cstddef>

namespace examq::pdf {

struct ChildLimits {
  pid_t parent = 0;                // exit at once if this is no longer our parent
  std::size_t memory_bytes = 0;    // RLIMIT_AS; 0 = unlimited
  int cpu_seconds_per_request = 0; // see arm_cpu_limit; 0 = unlimited
};

// Dies with the parent (PR_SET_PDEATHSIG), no core dumps, not ptrace-able or dumpable, no
// privilege gain on exec, address-space limit. Returns false if the parent is already gone.
bool enter_child_sandbox(const ChildLimits& limits);

// Moves the soft RLIMIT_CPU to `seconds` beyond the CPU time used so far, so each request
// (open, one page) gets the same budget however many came before. SIGXCPU kills the child.
void arm_cpu_limit(int seconds);

}  // namespace examq::pdf
