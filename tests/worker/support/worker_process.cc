#include "worker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace examq::testing {

std::string examq_binary() {
  const char* v = std::getenv("EXAMQ_BIN");
  return v != nullptr && *v != '\0' ? v : EXAMQ_BIN_DEFAULT;
}

WorkerProcess::WorkerProcess(const std::string& conninfo, const std::string& worker_id,
                             const std::vector<std::string>& args)
    : WorkerProcess(
          [&] {
            std::vector<std::string> a = {"worker", "--db", conninfo, "--worker-id", worker_id};
            a.insert(a.end(), args.begin(), args.end());
            return a;
          }(),
          worker_id) {}

WorkerProcess::WorkerProcess(const std::vector<std::string>& args, const std::string& name) : worker_id_(name) {
  char path[] = "/tmp/examq-worker-log-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error(std::string("mkstemp: ") + std::strerror(errno));
  log_path_ = path;

  std::vector<std::string> argv_s = {examq_binary()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fd);
}

WorkerProcess::~WorkerProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  unlink(log_path_.c_str());
}

void WorkerProcess::signal(int signo) {
  if (!status_) kill(pid_, signo);
}

bool WorkerProcess::running() {
  if (status_) return false;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
  return !status_;
}

std::optional<int> WorkerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (!running()) return status_;
  // A pidfd becomes readable when the child exits: wait on that, bounded by the timeout.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd < 0) throw std::runtime_error(std::string("pidfd_open: ") + std::strerror(errno));
  pollfd p{pidfd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  close(pidfd);
  if (rc <= 0) return std::nullopt;
  int status;
  if (waitpid(pid_, &status, 0) == pid_) status_ = status;
  return status_;
}

std::string WorkerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace examq::testing
