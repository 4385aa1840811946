#include "pdf/sandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

extern char** environ;

namespace examq::pdf {
namespace {

constexpr std::size_t kDiagnosticsTail = 4096;

[[noreturn]] void unavailable(const std::string& what) {
  throw PdfError(PdfErrorKind::sandbox_unavailable,
                 "cannot start the renderer: " + what + ": " + std::strerror(errno));
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// The child sees only what it needs: no database URL, no API keys. Fontconfig and locale
// variables stay so fonts resolve as they do for the worker, and TESSDATA_PREFIX so OCR finds
// the same language packs.
std::vector<std::string> child_environment() {
  static const char* const kKept[] = {"HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR",
                                      "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_DIRS",
                                      "FONTCONFIG_FILE", "FONTCONFIG_PATH", "POPPLER_DATADIR",
                                      "TESSDATA_PREFIX"};
  // Tesseract's OpenMP threads cost 5x the CPU spinning (FIELD-NOTES) and a child is one
  // worker's share of the CPUs anyway. libgomp reads this when it is loaded, before main().
  std::vector<std::string> env = {"OMP_THREAD_LIMIT=1"};
  for (const char* name : kKept) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Moves a descriptor above the numbers the child's dup2s target (0-4), so one dup2 can never
// overwrite the source of another (a memfd that happened to be fd 3 would be lost to the
// channel).
int above_child_fds(int fd) {
  if (fd < 0 || fd >= 10) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  close(fd);
  return moved;
}

std::string megabytes(std::size_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

}  // namespace

SealedPdf::SealedPdf(std::string_view pdf) {
  fd_ = above_child_fds(memfd_create("examq-pdf", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd_ < 0) unavailable("memfd_create");
  std::string_view rest = pdf;
  while (!rest.empty()) {
    const ssize_t n = write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close_fd(fd_);
      unavailable("writing the PDF to a memfd");
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (fcntl(fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    close_fd(fd_);
    unavailable("sealing the memfd");
  }
  // Children share this open file description: leave its offset at the start for any reader
  // that read()s rather than mmap()s.
  lseek(fd_, 0, SEEK_SET);
}

SealedPdf::~SealedPdf() { close_fd(fd_); }

SandboxedChild::SandboxedChild(const std::string& helper,
                               const std::vector<std::string>& arguments, const SealedPdf& pdf) {
  int channel[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) unavailable("socketpair");
  int diagnostics[2];
  if (pipe2(diagnostics, O_CLOEXEC) != 0) {
    close(channel[0]);
    close(channel[1]);
    unavailable("pipe2");
  }
  // Room for a whole page or two in flight (a 150 DPI page with figures is ~0.5 MB of JPEG), so
  // a child goes on rendering instead of waiting for the parent to be scheduled and read.
  // The kernel caps this at net.core.wmem_max; a smaller buffer only costs speed.
  const int send_buffer = 2 << 20;
  setsockopt(channel[1], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
  channel[1] = above_child_fds(channel[1]);
  diagnostics[1] = above_child_fds(diagnostics[1]);
  if (channel[1] < 0 || diagnostics[1] < 0) {
    for (int fd : {channel[0], channel[1], diagnostics[0], diagnostics[1]}) {
      if (fd >= 0) close(fd);
    }
    unavailable("fcntl(F_DUPFD_CLOEXEC)");
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the target, so exactly these survive exec.
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, diagnostics[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, diagnostics[1], STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, channel[1], wire::kChannelFd);
  posix_spawn_file_actions_adddup2(&actions, pdf.fd(), wire::kPdfFd);
  // Our descriptors are all close-on-exec, but not necessarily every one the host process
  // inherited or a library opened: the child gets nothing beyond the five above.
  posix_spawn_file_actions_addclosefrom_np(&actions, wire::kPdfFd + 1);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Own process group (killed as one), default signal dispositions (the worker may ignore
  // SIGPIPE or block signals in its threads; the child must die normally), empty mask.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                            POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> argv_strings{helper};
  argv_strings.insert(argv_strings.end(), arguments.begin(), arguments.end());
  argv_strings.push_back("--parent=" + std::to_string(getpid()));
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<std::string> env_strings = child_environment();
  std::vector<char*> envp = pointers(env_strings);

  const int rc = posix_spawn(&pid_, helper.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(channel[1]);
  close(diagnostics[1]);
  if (rc != 0) {
    close(channel[0]);
    close(diagnostics[0]);
    errno = rc;
    unavailable("posix_spawn " + helper);
  }
  channel_ = channel[0];
  stderr_ = diagnostics[0];
  fcntl(channel_, F_SETFL, fcntl(channel_, F_GETFL) | O_NONBLOCK);
  fcntl(stderr_, F_SETFL, fcntl(stderr_, F_GETFL) | O_NONBLOCK);
}

SandboxedChild::~SandboxedChild() {
  close_fd(channel_);
  close_fd(stderr_);
  if (!reaped_) {
    kill();
    wait();
  }
}

bool SandboxedChild::send(wire::Command command, std::uint32_t argument) {
  if (channel_ < 0) return false;
  const std::string bytes = wire::command(command, argument);
  // 8 bytes into an idle socket's buffer: never a partial write in practice, but be exact.
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(channel_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;  // child not reading
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool SandboxedChild::read_channel(wire::FrameReader& reader) {
  char buffer[64 * 1024];
  while (channel_ >= 0) {
    const ssize_t n = read(channel_, buffer, sizeof buffer);
    if (n > 0) {
      reader.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    close_fd(channel_);  // end of file, or an error that means the same
  }
  return false;
}

void SandboxedChild::read_diagnostics() {
  char buffer[4096];
  while (stderr_ >= 0) {
    const ssize_t n = read(stderr_, buffer, sizeof buffer);
    if (n > 0) {
      stderr_tail_.append(buffer, static_cast<std::size_t>(n));
      if (stderr_tail_.size() > kDiagnosticsTail) {
        stderr_tail_.erase(0, stderr_tail_.size() - kDiagnosticsTail);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close_fd(stderr_);
  }
}

void SandboxedChild::kill() {
  if (reaped_) return;  // the group id may already belong to someone else
  ::kill(-pid_, SIGKILL);
  killed_ = true;
}

bool SandboxedChild::try_reap() {
  if (reaped_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  reaped_ = true;
  status_ = status;
  return true;
}

void SandboxedChild::wait() {
  while (!reaped_) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, 0);
    if (r == pid_) {
      reaped_ = true;
      status_ = status;
    } else if (r < 0 && errno != EINTR) {
      return;  // not our child any more (SIGCHLD ignored by the host): nothing to wait for
    }
  }
}

int cpu_seconds_per_request(const SandboxOptions& options) {
  if (options.cpu_seconds_per_request > 0) return options.cpu_seconds_per_request;
  return static_cast<int>(options.timeout.count()) + 10;
}

std::chrono::seconds wall_timeout(const SandboxOptions& options) {
  if (options.wall_timeout.count() > 0) return options.wall_timeout;
  return 5 * options.timeout;
}

std::optional<std::chrono::duration<double>> process_cpu_time(pid_t pid) {
  // Readable for any process of ours, also a non-dumpable one (the child makes itself so):
  // only its addresses are hidden, not its times.
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name may hold spaces and parentheses: fields count from the last ")".
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  // Fields 3 (state) to 13 come before utime (14) and stime (15), in clock ticks; they are the
  // whole thread group's, exited threads included.
  std::string skip;
  for (int field = 3; field <= 13; ++field) rest >> skip;
  unsigned long long utime = 0, stime = 0;
  if (!(rest >> utime >> stime)) return std::nullopt;
  static const long ticks = sysconf(_SC_CLK_TCK);
  return std::chrono::duration<double>(static_cast<double>(utime + stime) /
                                       static_cast<double>(ticks > 0 ? ticks : 100));
}

RequestClock::RequestClock(const SandboxOptions& options)
    : timeout_(options.timeout), wall_timeout_(wall_timeout(options)) {}

void RequestClock::start(pid_t pid, Clock::time_point now) {
  pid_ = pid;
  started_ = now;
  cpu_at_start_ = process_cpu_time(pid);
  used_ = std::chrono::duration<double>(0);
  state_ = State::running;
  next_check_ = now + std::min(timeout_, wall_timeout_);
}

// Without /proc (a hidepid mount, say) the wall clock is all there is: the old behaviour.
std::chrono::duration<double> RequestClock::used(Clock::time_point now) const {
  if (cpu_at_start_) {
    if (const auto cpu = process_cpu_time(pid_)) return *cpu - *cpu_at_start_;
  }
  return now - started_;
}

RequestClock::State RequestClock::check(Clock::time_point now) {
  if (state_ != State::running || now < next_check_) return state_;
  used_ = used(now);
  if (used_ >= timeout_) return state_ = State::out_of_cpu;
  const Clock::time_point backstop = started_ + wall_timeout_;
  if (now >= backstop) return state_ = State::hung;
  // It cannot use the rest of its CPU sooner than that in wall time (one thread); look again
  // then, but at least every second, and not more often than every 100 ms.
  const auto left = std::chrono::duration_cast<Clock::duration>(timeout_ - used_);
  const auto again = std::clamp<Clock::duration>(left, std::chrono::milliseconds(100),
                                                 std::chrono::seconds(1));
  next_check_ = std::min(now + again, backstop);
  return state_;
}

PdfError RequestClock::error(const std::string& who) const {
  if (state_ == State::hung) {
    char cpu[32];
    std::snprintf(cpu, sizeof cpu, "%.1f", used_.count());
    return PdfError(PdfErrorKind::renderer_hung,
                    who + " used " + cpu + " s of CPU in " + std::to_string(wall_timeout_.count()) +
                        " s: hung (wall-clock limit)");
  }
  return PdfError(PdfErrorKind::renderer_timed_out,
                  who + " timed out after " + std::to_string(timeout_.count()) + " s of CPU");
}

PdfError describe_child_exit(const SandboxedChild& child, const SandboxOptions& options,
                             const std::string& who) {
  const std::string memory_message =
      who + " exceeded its memory limit (" + megabytes(options.memory_bytes) + ")";
  const int status = child.status();
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    if (signal == SIGXCPU) {
      return PdfError(PdfErrorKind::renderer_cpu_limit,
                      who + " exceeded its CPU limit (" +
                          std::to_string(cpu_seconds_per_request(options)) + " s)");
    }
    // Poppler's gmalloc prints this and aborts when an allocation fails under RLIMIT_AS.
    if (signal == SIGABRT && (child.diagnostics().find("Out of memory") != std::string::npos ||
                              child.diagnostics().find("bad_alloc") != std::string::npos)) {
      return PdfError(PdfErrorKind::renderer_out_of_memory, memory_message);
    }
    return PdfError(PdfErrorKind::renderer_crashed,
                    who + " crashed: signal " + std::to_string(signal));
  }
  const int code = WEXITSTATUS(status);
  if (code == wire::kExitOutOfMemory) {
    return PdfError(PdfErrorKind::renderer_out_of_memory, memory_message);
  }
  if (code == 0) {
    return PdfError(PdfErrorKind::renderer_failed, who + " exited before finishing its work");
  }
  return PdfError(PdfErrorKind::renderer_failed,
                  who + " failed: exit status " + std::to_string(code));
}

}  // namespace examq::pdf
