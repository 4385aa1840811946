#pragma once
// SIGTERM / SIGINT handling for long-running commands, through a self-pipe so it works with
// poll() and does not change the signal mask that child processes (renderers) inherit.

namespace examq::util {

class ShutdownSignals {
 public:
  // Installs handlers for SIGTERM and SIGINT (once per process; later calls return the same
  // object). The first signal makes fd() readable. A second signal ends the process at once
  // with _exit(128 + signo): whatever is running is abandoned and its lease protects its job.
  static ShutdownSignals& install();

  // Readable once a shutdown signal has arrived; stays readable.
  int fd() const;
  // True once a shutdown signal has arrived.
  bool requested() const;
  // The first signal received (SIGTERM or SIGINT), 0 if none.
  int signal_number() const;

  // Behaves as if `signo` had arrived (for in-process shutdown, e.g. tests or fatal errors).
  void request(int signo);

 private:
  ShutdownSignals();
};

}  // namespace examq::util
