#include "cli/detached_worker.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace examq::cli {
namespace {

// Environment variables a detached worker is started with (and removes at once).
constexpr const char* kReadyFdVar = "EXAMQ_DETACHED_READY_FD";
constexpr const char* kLockFdVar = "EXAMQ_DETACHED_LOCK_FD";

std::string pid_file(const std::string& home) { return (fs::path(home) / "worker.pid").string(); }

std::optional<int> read_pid(const std::string& path) {
  std::ifstream in(path);
  int pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return pid;
}

// The last lines of a log, for error messages.
std::string log_tail(const std::string& path, int lines = 15) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::size_t pos = text.size();
  for (int n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) pos = text.rfind('\n', pos - 1);
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

// Waits up to timeout for pid (our child or not) to exit; true when it did.
bool wait_gone(int pid, std::chrono::milliseconds timeout) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return errno == ESRCH;
  pollfd p{pidfd, POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  ::close(pidfd);
  return rc > 0;
}

// Takes a descriptor named in `var` out of the environment and keeps it from the worker's own
// children. -1 when absent or not a descriptor.
int adopt_fd(const char* var) {
  const char* v = std::getenv(var);
  if (v == nullptr) return -1;
  int fd = std::atoi(v);
  ::unsetenv(var);
  if (fd <= STDERR_FILENO || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return -1;
  return fd;
}

[[noreturn]] void exec_worker(const std::string& home, const std::string& log, const std::vector<std::string>& worker_args,
                              const std::string& db, int ready_fd, int lock_fd) {
  // Its own session: not stopped by a Ctrl-C or a hang-up meant for the terminal it came from.
  ::setsid();
  int in = ::open("/dev/null", O_RDONLY);
  int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in < 0 || out < 0) ::_exit(126);
  ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(out, STDERR_FILENO);
  // The readiness socket and the lock become 3 and 4 (dup2 clears close-on-exec); nothing
  // else this process inherited (a shell's or a test harness's descriptors) reaches the worker.
  const int ready = 3, lock = 4;
  const int ready_high = ::fcntl(ready_fd, F_DUPFD_CLOEXEC, 5), lock_high = ::fcntl(lock_fd, F_DUPFD_CLOEXEC, 5);
  if (ready_high < 0 || lock_high < 0 || ::dup2(ready_high, ready) < 0 || ::dup2(lock_high, lock) < 0) ::_exit(126);
  ::close_range(5, ~0U, 0);
  ::setenv(kReadyFdVar, std::to_string(ready).c_str(), 1);
  ::setenv(kLockFdVar, std::to_string(lock).c_str(), 1);
  ::setenv("EXAMQ_HOME", home.c_str(), 1);
  if (!db.empty()) ::setenv("EXAMQ_DB", db.c_str(), 1);
  std::vector<std::string> args = {"examq", "worker"};
  args.insert(args.end(), worker_args.begin(), worker_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  std::fprintf(stderr, "examq worker --detach: cannot run /proc/self/exe: %s\n", std::strerror(errno));
  ::_exit(127);
}

// Reads the readiness socket until "ready", end of file (the worker exited or closed it without
// being ready) or the deadline. True only for "ready".
bool wait_ready(int fd, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string got;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return false;
    char buf[16];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got.append(buf, static_cast<std::size_t>(n));
    if (got.find("ready") != std::string::npos) return true;
  }
}

// How long a worker takes to stop after SIGTERM, at most: its grace, plus time to settle.
util::Duration stop_timeout(int pid) {
  util::Duration grace = std::chrono::seconds(30);
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  for (std::string a; std::getline(in, a, '\0');) args.push_back(a);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (args[i] == "--shutdown-grace" && i + 1 < args.size()) {
      value = args[i + 1];
    } else if (args[i].rfind("--shutdown-grace=", 0) == 0) {
      value = args[i].substr(std::strlen("--shutdown-grace="));
    } else {
      continue;
    }
    try {
      grace = util::parse_duration(value);
    } catch (const std::exception&) {
    }
  }
  return grace + std::chrono::seconds(10);
}

}  // namespace

WorkerAlreadyRunning::WorkerAlreadyRunning(int pid, const std::string& log)
    : std::runtime_error("a detached worker is already running for this EXAMQ_HOME (pid " + std::to_string(pid) +
                         ", log " + log + "); stop it first with `examq down`, or kill " + std::to_string(pid)),
      pid_(pid) {}

std::string detached_worker_log(const std::string& home) { return (fs::path(home) / "worker.log").string(); }

std::optional<int> detached_worker_pid(const std::string& home) {
  const std::string path = pid_file(home);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // Held by the worker while it lives: if we can take it, nobody is there.
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  if (!held) return std::nullopt;
  return read_pid(path);
}

DetachedWorker start_detached_worker(const std::string& home, const std::vector<std::string>& worker_args,
                                     const std::string& db, std::chrono::seconds ready_timeout) {
  fs::create_directories(home);
  DetachedWorker worker{0, detached_worker_log(home)};
  const std::string path = pid_file(home);
  int lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    throw WorkerAlreadyRunning(read_pid(path).value_or(0), worker.log);
  }
  // A socket pair rather than a pipe: the worker's "ready" (send with MSG_NOSIGNAL) cannot
  // raise SIGPIPE in it when this process has gone (Ctrl-C) before reading it.
  int ready[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ready) != 0) {
    ::close(lock_fd);
    throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
  }
  // Where this run's lines start, so a failure shows this run's log only.
  const auto log_start = fs::exists(worker.log) ? fs::file_size(worker.log) : 0;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(lock_fd);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) exec_worker(home, worker.log, worker_args, db, ready[1], lock_fd);
  ::close(ready[1]);
  worker.pid = pid;
  const std::string text = std::to_string(pid) + "\n";
  if (::ftruncate(lock_fd, 0) != 0 || ::pwrite(lock_fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    std::fprintf(stderr, "examq: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
  }
  ::close(lock_fd);  // the worker holds the lock through its own copy

  const bool is_ready = wait_ready(ready[0], ready_timeout);
  ::close(ready[0]);
  if (is_ready) return worker;

  std::string why;
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid || (wait_gone(pid, std::chrono::milliseconds(2000)) && ::waitpid(pid, &status, 0) == pid)) {
    why = "the worker exited (" +
          (WIFEXITED(status) ? "code " + std::to_string(WEXITSTATUS(status))
                             : "signal " + std::to_string(WTERMSIG(status))) +
          ") before it was ready";
  } else {
    why = "the worker was not ready within " + std::to_string(ready_timeout.count()) +
          " s (is the database reachable?); it was stopped";
    ::kill(pid, SIGTERM);
    if (!wait_gone(pid, std::chrono::seconds(10))) ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  std::error_code ec;
  fs::remove(path, ec);
  std::string tail;
  {
    std::ifstream in(worker.log);
    in.seekg(static_cast<std::streamoff>(log_start));
    std::stringstream ss;
    ss << in.rdbuf();
    tail = ss.str();
  }
  if (std::count(tail.begin(), tail.end(), '\n') > 15) tail = log_tail(worker.log);
  throw std::runtime_error(why + "; the end of " + worker.log + ":\n" + tail);
}

std::optional<std::string> stop_detached_worker(const std::string& home) {
  std::optional<int> pid = detached_worker_pid(home);
  if (!pid) return std::nullopt;
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(stop_timeout(*pid));
  ::kill(*pid, SIGTERM);
  if (wait_gone(*pid, timeout)) return "worker " + std::to_string(*pid) + " stopped";
  ::kill(*pid, SIGKILL);
  wait_gone(*pid, std::chrono::seconds(5));
  return "worker " + std::to_string(*pid) + " killed (it did not stop within " +
         util::format_duration(std::chrono::duration_cast<util::Duration>(timeout)) + ")";
}

std::function<void()> adopt_detached_start() {
  const int lock_fd = adopt_fd(kLockFdVar);
  (void)lock_fd;  // kept open (and locked) until the process exits
  const int ready_fd = adopt_fd(kReadyFdVar);
  if (ready_fd < 0) return {};
  return [ready_fd] {
    static constexpr char kReady[] = "ready\n";
    ssize_t n = ::send(ready_fd, kReady, sizeof kReady - 1, MSG_NOSIGNAL);
    (void)n;  // the starter may have given up already: nothing to do about it
    ::close(ready_fd);
  };
}

}  // namespace examq::cli
