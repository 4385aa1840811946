#include "util/shutdown_signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace examq::util {
namespace {

int g_pipe[2] = {-1, -1};
volatile sig_atomic_t g_signal = 0;

// Async-signal-safe: only write(), _exit() and a sig_atomic_t.
void on_signal(int signo) {
  if (g_signal != 0) _exit(128 + signo);
  g_signal = signo;
  int saved = errno;
  char byte = 1;
  [[maybe_unused]] ssize_t n = write(g_pipe[1], &byte, 1);
  errno = saved;
}

}  // namespace

ShutdownSignals::ShutdownSignals() {
  if (pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

ShutdownSignals& ShutdownSignals::install() {
  static ShutdownSignals instance;
  return instance;
}

int ShutdownSignals::fd() const { return g_pipe[0]; }

bool ShutdownSignals::requested() const { return g_signal != 0; }

int ShutdownSignals::signal_number() const { return g_signal; }

void ShutdownSignals::request(int signo) {
  if (g_signal != 0) return;
  g_signal = signo;
  char byte = 1;
  [[maybe_unused]] ssize_t n = write(g_pipe[1], &byte, 1);
}

}  // namespace examq::util
