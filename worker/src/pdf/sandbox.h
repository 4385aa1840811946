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

#include <cstdint>
#include <memory>
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
// `timed_out` means the parent killed it at its deadline. `who` names the child in the
// message ("renderer", "PoDoFo").
PdfError describe_child_exit(const SandboxedChild& child, bool timed_out,
                                   const SandboxOptions& options, const std::string& who);

// The per-request CPU budget a child arms (SandboxOptions::cpu_seconds_per_request resolved).
int cpu_seconds_per_request(const SandboxOptions& options);

}  // namespace examq::pdf
