#pragma once

// Parent-side process plumbing for examq-render children.
//
// Why processes: Poppler has no abort hook, crashes on hostile input and does not scale across
// threads (FIELD-NOTES), so every parse of an untrusted PDF happens in a child that can be
// killed. Children are started with posix_spawn (vfork+exec), never a bare fork: the worker is
// multi-threaded, and after fork only async-signal-safe calls are allowed in the child. Every
// descriptor the parent makes is close-on-exec, so concurrent spawns from other threads do not
// leak each other's pipes; a child gets only what wire_format.h lists.
//
// Children die with their parent: examq-render arms PR_SET_PDEATHSIG(SIGKILL), which Linux
// fires when the *thread* that spawned it exits. render_pdf() blocks its thread until every
// child is reaped, so that is never early.
//
// Requirement on the host process: SIGCHLD must not be set to SIG_IGN (children would be
// auto-reaped and their exit status lost).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pdf/pdf_error.h"
#include "pdf/render_options.h"
#include "pdf/wire_format.h"

namespace examq::pdf {

// The PDF in a sealed memfd: written once, then immutable (no write, grow or shrink), so every
// child maps the same bytes without a copy and no child can alter what the others read.
class SealedPdf {
 public:
  // Throws PdfError(sandbox_unavailable) if the memfd cannot be made.
  explicit SealedPdf(std::string_view pdf);
  ~SealedPdf();
  SealedPdf(const SealedPdf&) = delete;
  SealedPdf& operator=(const SealedPdf&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// One running examq-render process, in its own process group. The destructor kills the group
// and reaps the child if that has not happened yet.
class SandboxedChild {
 public:
  // Starts `helper <arguments...>`. Throws PdfError(sandbox_unavailable) if it cannot start.
  SandboxedChild(const std::string& helper, const std::vector<std::string>& arguments,
                 const SealedPdf& pdf);
  ~SandboxedChild();
  SandboxedChild(const SandboxedChild&) = delete;
  SandboxedChild& operator=(const SandboxedChild&) = delete;

  pid_t pid() const { return pid_; }
  int channel_fd() const { return channel_; }      // -1 once the child closed it
  int diagnostics_fd() const { return stderr_; }   // -1 once the child closed it

  // Sends a command. False if the child is gone (never raises SIGPIPE).
  bool send(wire::Command command, std::uint32_t argument);

  // Reads what is available on the channel into `reader`; false at end of file (then
  // channel_fd() becomes -1). Never blocks.
  bool read_channel(wire::FrameReader& reader);
  // Keeps the last few KB the child wrote to stderr/stdout, for diagnostics. Never blocks.
  void read_diagnostics();
  const std::string& diagnostics() const { return stderr_tail_; }

  // SIGKILL to the whole process group; remembers that the parent did it.
  void kill();
  bool killed() const { return killed_; }

  // Reaps the child if it has exited: true and `status` (as from waitpid) set. Never blocks.
  bool try_reap();
  // Waits for the child to exit and reaps it.
  void wait();
  bool reaped() const { return reaped_; }
  int status() const { return status_; }

 private:
  pid_t pid_ = -1;
  int channel_ = -1;
  int stderr_ = -1;
  bool killed_ = false;
  bool reaped_ = false;
  int status_ = 0;
  std::string stderr_tail_;
};

// The message for a child that ended without delivering what it owed, from its exit status:
// "renderer crashed: signal 11", "renderer exceeded its memory limit (512 MB)", ...
// `who` names the child in the message ("renderer", "PoDoFo"). A child the parent killed for
// its time is described by RequestClock::error instead.
PdfError describe_child_exit(const SandboxedChild& child, const SandboxOptions& options,
                             const std::string& who);

// The per-request CPU budget a child arms (SandboxOptions::cpu_seconds_per_request resolved).
int cpu_seconds_per_request(const SandboxOptions& options);
// The wall-clock backstop of one request (SandboxOptions::wall_timeout resolved).
std::chrono::seconds wall_timeout(const SandboxOptions& options);

// CPU time (user + system, all threads) a process has used so far, from /proc/<pid>/stat;
// nullopt when that cannot be read. A zombie's still can, until it is reaped.
std::optional<std::chrono::duration<double>> process_cpu_time(pid_t pid);

// The time limits of a child's current request, counted from when it became the current one
// (sent to an idle child, or the reply before it arrived): SandboxOptions::timeout of the
// child's CPU time, and the wall-clock backstop (wall_timeout) for a child that uses none.
//
// Why CPU: on a loaded machine a starved child spends its wall time waiting for a core, and a
// wall-clock limit fails the paper for the machine's load (docs/benchmarks.md). The CPU a child
// has used is read only when a check is due: not before the request has taken `timeout` in
// wall time (a child is single-threaded in practice, so it cannot have used more CPU than
// that; RLIMIT_CPU bounds one that is not), then at most every second until the CPU limit or
// the wall backstop is reached. A request that finishes within `timeout` costs one read, at
// its start.
class RequestClock {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { running, out_of_cpu, hung };

  RequestClock() = default;
  explicit RequestClock(const SandboxOptions& options);
  // A new request becomes `pid`'s current one.
  void start(pid_t pid, Clock::time_point now = Clock::now());
  // Where the current request stands; reads the child's CPU time only when a check is due.
  State check(Clock::time_point now = Clock::now());
  // When check() next has something to do: wake no later than this.
  Clock::time_point next_check() const { return next_check_; }
  // The error for a request that ran out of CPU or hung ("renderer timed out after 60 s of
  // CPU", "renderer used 3.1 s of CPU in 300 s: hung (wall-clock limit)").
  PdfError error(const std::string& who) const;

 private:
  std::chrono::duration<double> used(Clock::time_point now) const;

  std::chrono::seconds timeout_{60};
  std::chrono::seconds wall_timeout_{300};
  pid_t pid_ = -1;
  Clock::time_point started_{};
  Clock::time_point next_check_ = Clock::time_point::max();
  std::optional<std::chrono::duration<double>> cpu_at_start_;
  std::chrono::duration<double> used_{0};  // CPU of the current request at the last check
  State state_ = State::running;
};

}  // namespace examq::pdf
