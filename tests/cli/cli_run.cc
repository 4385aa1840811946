#include "cli_run.h"

#include "worker_process.h"  // examq_binary()

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace examq::testing {

namespace {

// Runs argv_s (argv_s[0] a path) with stdout on `out_fd_child` (a pipe's write end, or a
// terminal's name when `terminal` is set), from the directory `cwd` when given, and reads
// `out_fd_parent` and a stderr pipe until both close.
CliResult run(std::vector<std::string> argv_s, const std::vector<std::pair<std::string, std::string>>& env,
              std::chrono::milliseconds timeout, const char* terminal, int terminal_master, const char* cwd = nullptr) {
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2] = {terminal_master, -1}, err_pipe[2];
  if ((terminal == nullptr && pipe2(out_pipe, O_CLOEXEC) != 0) || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    for (const auto& [name, value] : env) {
      if (value.empty()) {
        unsetenv(name.c_str());
      } else {
        setenv(name.c_str(), value.c_str(), 1);
      }
    }
    if (cwd != nullptr && chdir(cwd) != 0) _exit(126);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, STDIN_FILENO);
    if (terminal != nullptr) {
      setsid();  // the terminal becomes the controlling one, as in a login session
      out_pipe[1] = open(terminal, O_RDWR);
    }
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (out_pipe[1] >= 0) close(out_pipe[1]);
  close(err_pipe[1]);

  CliResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_pipes = 2;
  bool timed_out = false;
  while (open_pipes > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int rc = poll(fds, 2, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {  // a terminal reports EIO once the child has gone
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
      }
    }
  }
  if (timed_out) kill(pid, SIGKILL);
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}


std::vector<std::string> examq_argv(const std::vector<std::string>& args) {
  // Absolute: the command may run from another directory.
  std::vector<std::string> argv = {std::filesystem::absolute(examq_binary()).string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

std::string describe(const CliResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "\n--- stderr\n" + r.err;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/examq-cli-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

CliResult run_examq(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env,
                    std::chrono::milliseconds timeout) {
  return run(examq_argv(args), env, timeout, nullptr, -1);
}

CliResult run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  return run(argv, {}, timeout, nullptr, -1);
}

CliResult run_examq_in(const std::string& cwd, const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& env, std::chrono::milliseconds timeout) {
  return run(examq_argv(args), env, timeout, nullptr, -1, cwd.c_str());
}

CliResult run_examq_in_terminal(const std::vector<std::string>& args,
                                const std::vector<std::pair<std::string, std::string>>& env, int columns,
                                std::chrono::milliseconds timeout) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
    throw std::runtime_error(std::string("posix_openpt: ") + std::strerror(errno));
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(columns);
  ws.ws_row = 40;
  ioctl(master, TIOCSWINSZ, &ws);
  const std::string name = ptsname(master);
  return run(examq_argv(args), env, timeout, name.c_str(), master);
}

}  // namespace examq::testing
