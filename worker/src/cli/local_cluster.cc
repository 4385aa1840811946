#include "cli/local_cluster.h"

#include "cli/detached_worker.h"

#include "pg/connection.h"
#include "schema/migrator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace examq::cli {
namespace {

constexpr const char* kDatabase = "examq";

bool is_root() { return ::geteuid() == 0; }

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// The last lines of a log, for error messages.
std::string tail(const fs::path& path, int lines = 20) {
  std::string text = read_text(path);
  std::size_t pos = text.size();
  for (int n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) pos = text.rfind('\n', pos - 1);
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

// Runs argv (as `postgres` through runuser when as_owner and we are root), stdin from
// /dev/null, stdout and stderr appended to `log` (or discarded), and returns its exit code.
int run_program(std::vector<std::string> argv, const std::string& log, bool as_owner) {
  if (as_owner && is_root()) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log.empty() ? "/dev/null" : log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The first line argv prints on stdout ("" when it cannot run).
std::string capture_line(const std::vector<std::string>& argv) {
  char path[] = "/tmp/examq-capture-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return {};
  ::close(fd);
  std::string out;
  if (run_program(argv, path, false) == 0) {
    out = read_text(path);
    out = trim(out.substr(0, out.find('\n')));
  }
  ::unlink(path);
  return out;
}

// Where initdb and pg_ctl are: $EXAMQ_PGBIN, pg_config --bindir, else PostgreSQL 15's.
std::string pg_bin() {
  if (const char* v = std::getenv("EXAMQ_PGBIN"); v != nullptr && *v != '\0') return v;
  std::string dir = capture_line({"pg_config", "--bindir"});
  if (!dir.empty() && fs::exists(fs::path(dir) / "initdb")) return dir;
  return "/usr/lib/postgresql/15/bin";
}

std::string superuser() {
  if (is_root()) return "postgres";
  if (passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_name;
  throw std::runtime_error("cannot tell the current user's name");
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("finding a free port: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// As root, the data directory belongs to `postgres`, which must also be able to walk to it:
// give others search (x, not read) permission on any parent that denies it (/root, mktemp -d).
void prepare_data_dir(const fs::path& data) {
  fs::create_directories(data);
  if (!is_root()) {
    fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace);
    return;
  }
  passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) throw std::runtime_error("no `postgres` system user (is postgresql-15 installed?)");
  if (::chown(data.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw std::runtime_error("chown postgres " + data.string() + ": " + std::strerror(errno));
  fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace);
  for (fs::path p = data.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (run_program({"test", "-x", p.string()}, "", true) != 0) {
      fs::permissions(p, fs::perms::others_exec, fs::perm_options::add);
      std::fprintf(stderr, "examq up: gave others search permission on %s so postgres can reach its data\n",
                   p.c_str());
    }
  }
}

}  // namespace

std::string examq_home() {
  const char* v = std::getenv("EXAMQ_HOME");
  const fs::path home = v != nullptr && *v != '\0' ? fs::path(v) : fs::path(".examq");
  if (home.is_relative()) {
    // As git finds .git: the nearest directory, from here up, whose `home` holds a cluster, so
    // a command run from a subdirectory uses the cluster `examq up` made at the top.
    std::error_code ec;
    for (fs::path dir = fs::current_path(ec); !ec && !dir.empty(); dir = dir.parent_path()) {
      if (fs::exists(dir / home / "connection", ec)) return (dir / home).lexically_normal().string();
      if (dir == dir.root_path()) break;
    }
  }
  return fs::absolute(home).lexically_normal().string();
}

std::optional<std::string> recorded_connection(const std::string& home) {
  std::string conninfo = trim(read_text(fs::path(home) / "connection"));
  if (conninfo.empty()) return std::nullopt;
  return conninfo;
}

LocalCluster::LocalCluster(std::string home) : home_(std::move(home)) {}

std::string LocalCluster::data_dir() const { return (fs::path(home_) / "pg").string(); }

bool LocalCluster::exists() const { return fs::exists(fs::path(data_dir()) / "PG_VERSION"); }

bool LocalCluster::running() const {
  if (!exists()) return false;
  return run_program({pg_bin() + "/pg_ctl", "-D", data_dir(), "status"}, "", true) == 0;
}

bool LocalCluster::cleanup_extension_available() {
  std::string libdir = capture_line({"pg_config", "--pkglibdir"});
  if (libdir.empty()) libdir = "/usr/lib/postgresql/15/lib";
  return fs::exists(fs::path(libdir) / "examq_cleanup.so");
}

LocalCluster::UpReport LocalCluster::up() {
  UpReport report;
  const fs::path home(home_), data(data_dir());
  const std::string bin = pg_bin();
  fs::create_directories(home);
  prepare_data_dir(data);

  const fs::path port_file = home / "port";
  if (!exists()) {
    const fs::path log = home / "initdb.log";
    fs::remove(log);
    int rc = run_program({bin + "/initdb", "-D", data.string(), "-A", "trust", "-U", superuser(), "-E", "UTF8",
                          "--locale=C.UTF-8"},
                         log.string(), true);
    if (rc != 0) throw std::runtime_error("initdb failed (exit " + std::to_string(rc) + "):\n" + tail(log));
    write_text(port_file, std::to_string(free_loopback_port()) + "\n");
    std::ofstream conf(data / "postgresql.conf", std::ios::app);
    conf << "\n# examq up: its settings live in examq.conf, rewritten on every `examq up`\n"
            "include_if_exists = 'examq.conf'\n";
    if (!conf) throw std::runtime_error("cannot append to " + (data / "postgresql.conf").string());
    report.created = true;
  }
  const std::string port = trim(read_text(port_file));
  if (port.empty()) throw std::runtime_error("no port recorded in " + port_file.string() + "; remove " + home_ + " and run `examq up` again");

  // Settings, rewritten each time so a later install of the extension is picked up.
  const bool extension = cleanup_extension_available();
  std::string settings = "listen_addresses = '127.0.0.1'\nport = " + port + "\nmax_connections = 100\n";
  // A unix socket path is limited to 107 bytes; skip the socket rather than fail on deep homes.
  settings += data.string().size() <= 90 ? "unix_socket_directories = '" + data.string() + "'\n"
                                         : "unix_socket_directories = ''\n";
  if (extension) {
    settings += "shared_preload_libraries = 'examq_cleanup'\nexamq_cleanup.database = '" + std::string(kDatabase) + "'\n";
  }
  const fs::path examq_conf = data / "examq.conf";
  const bool changed = read_text(examq_conf) != settings;
  if (changed) write_text(examq_conf, settings);

  const fs::path server_log = data / "server.log";
  if (!running()) {
    int rc = run_program({bin + "/pg_ctl", "-D", data.string(), "-l", server_log.string(), "-w", "-t", "60", "start"},
                         (home / "pg_ctl.log").string(), true);
    if (rc != 0) throw std::runtime_error("PostgreSQL did not start (exit " + std::to_string(rc) + "):\n" + tail(server_log));
    report.started = true;
  } else if (changed) {
    int rc = run_program({bin + "/pg_ctl", "-D", data.string(), "-l", server_log.string(), "-m", "fast", "-w", "-t",
                          "60", "restart"},
                         (home / "pg_ctl.log").string(), true);
    if (rc != 0) throw std::runtime_error("PostgreSQL did not restart:\n" + tail(server_log));
    report.started = true;
  }

  const std::string base = "host=127.0.0.1 port=" + port + " user=" + superuser();
  {
    pg::Connection admin(base + " dbname=postgres", "examq up");
    if (admin.exec("SELECT 1 FROM pg_database WHERE datname = $1", kDatabase).rows() == 0) {
      std::string sql = "CREATE DATABASE " + admin.quote_identifier(kDatabase);
      admin.exec(sql.c_str());
    }
  }
  report.conninfo = base + " dbname=" + kDatabase;
  pg::Connection conn(report.conninfo, "examq up");
  schema::MigrateResult migrated = schema::migrate(conn);
  report.schema_version = migrated.version;
  for (int v : migrated.applied) report.applied += (report.applied.empty() ? "" : ", ") + std::to_string(v);
  if (extension) {
    conn.exec("CREATE EXTENSION IF NOT EXISTS examq_cleanup");
    report.extension = true;
  }
  write_text(home / "connection", report.conninfo + "\n");
  return report;
}

std::optional<int> LocalCluster::worker_pid() const { return detached_worker_pid(home_); }

std::string LocalCluster::down() {
  std::string said;
  if (std::optional<std::string> stopped = stop_detached_worker(home_)) said += *stopped + "\n";
  fs::remove(fs::path(home_) / "worker.pid");
  if (running()) {
    int rc = run_program({pg_bin() + "/pg_ctl", "-D", data_dir(), "-m", "fast", "-w", "-t", "60", "stop"},
                         (fs::path(home_) / "pg_ctl.log").string(), true);
    if (rc != 0) throw std::runtime_error("pg_ctl stop failed; see " + data_dir() + "/server.log");
    said += "PostgreSQL in " + data_dir() + " stopped\n";
  } else if (exists()) {
    said += "PostgreSQL in " + data_dir() + " was not running\n";
  } else {
    said += "no examq cluster in " + home_ + "\n";
  }
  return said;
}

}  // namespace examq::cli
