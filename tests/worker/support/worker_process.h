#pragma once
// An `examq worker` child process for end-to-end tests: started with explicit flags, its log
// captured to a file, signalled and reaped by pid.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace examq::testing {

// The examq binary: $EXAMQ_BIN when set (ci/test sets it), else the one this build made.
std::string examq_binary();

class WorkerProcess {
 public:
  // Runs `examq worker --db <conninfo> --worker-id <worker_id> <args...>`.
  WorkerProcess(const std::string& conninfo, const std::string& worker_id, const std::vector<std::string>& args);
  // Runs `examq <args...>`: any long-running subcommand (`serve`); `name` labels it.
  WorkerProcess(const std::vector<std::string>& args, const std::string& name);
  ~WorkerProcess();  // SIGKILL and reap if still running; removes the log file
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& worker_id() const { return worker_id_; }
  void signal(int signo);
  // Waits up to `timeout` for the process to exit; its wait status, or nullopt if it still runs.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // True while the process has not exited (reaps it if it has).
  bool running();
  // Everything it logged so far.
  std::string log() const;

 private:
  std::string worker_id_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace examq::testing
