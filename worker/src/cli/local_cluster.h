#pragma once
// The private PostgreSQL cluster of `examq up`/`down`/`status`, under $EXAMQ_HOME (default
// ./.examq):
//
//   $EXAMQ_HOME/pg/          the data directory (owned and run by `postgres` when we are root,
//                            since initdb and postgres refuse root), with its unix socket
//   $EXAMQ_HOME/connection   the conninfo of database `examq`, read by every subcommand
//   $EXAMQ_HOME/port         the loopback port chosen at initdb time
//   $EXAMQ_HOME/worker.pid   the detached `examq worker` (cli/detached_worker.h), stopped by `down`
//   $EXAMQ_HOME/worker.log   its log
//
// Authentication is `trust`, on 127.0.0.1 and the socket only: a cluster for trying examq on
// this machine, never for data others can reach. Mirrors ci/pgcluster.

#include <optional>
#include <string>

namespace examq::cli {

// $EXAMQ_HOME, else .examq, as an absolute path. A relative one names the nearest directory of
// that name, from the current directory up, where `examq up` recorded a cluster; when there is
// none, the one in the current directory.
std::string examq_home();

// The conninfo `examq up` recorded in home (default examq_home()), if any.
std::optional<std::string> recorded_connection(const std::string& home = examq_home());

class LocalCluster {
 public:
  explicit LocalCluster(std::string home = examq_home());

  const std::string& home() const { return home_; }
  std::string data_dir() const;
  bool exists() const;   // initdb has run
  bool running() const;  // pg_ctl status says so

  // What `up` reports.
  struct UpReport {
    bool created = false;    // initdb ran now
    bool started = false;    // the server was started (or restarted) now
    bool extension = false;  // examq_cleanup is preloaded and created
    std::string conninfo;
    int schema_version = 0;
    std::string applied;  // migrations applied now, "1, 2" ("" when none)
  };
  // Creates (first time) and starts the cluster, creates database `examq`, applies the
  // migrations, sets up examq_cleanup when its library is installed, and records the
  // connection. Idempotent. Throws std::runtime_error (with the log's tail) or pg::Error.
  UpReport up();

  // Stops the detached worker (SIGTERM, waiting for its shutdown grace)
  // and the server (fast shutdown). Returns what it did, one line per thing. Idempotent.
  std::string down();

  // The pid of the detached worker, while it lives.
  std::optional<int> worker_pid() const;

  // Whether the examq_cleanup library is installed in this PostgreSQL.
  static bool cleanup_extension_available();

 private:
  std::string home_;
};

}  // namespace examq::cli
