#include "queue/presence.h"

#include "pg/error.h"
#include "util/log.h"

#include <unistd.h>

namespace examq::queue {
namespace {

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

}  // namespace

Presence::Presence(const WorkerConfig& config, util::Duration heartbeat_interval) {
  self_.worker_id = config.worker_id;
  self_.host = host_name();
  self_.version = EXAMQ_VERSION;
  self_.pid = static_cast<int>(getpid());
  self_.job_types = config.job_types;
  self_.concurrency = config.concurrency;
  self_.lease = config.lease;
  self_.heartbeat_interval = heartbeat_interval;
}

void Presence::beat(pg::Connection& conn) {
  const char* doing = registered_ ? "heartbeat" : "register";
  try {
    if (registered_ && sql::worker_heartbeat(conn, self_.worker_id)) {
      if (failing_) util::log_event(spdlog::level::info, "worker.heartbeat_restored");
      failing_ = false;
      return;
    }
    // Not registered yet, or forgotten (deleted as stale after a long pause, or marked stopped).
    doing = "register";
    sql::register_worker(conn, self_);
    util::log_event(spdlog::level::info, registered_ ? "worker.reregistered" : "worker.registered",
                    {{"host", self_.host}, {"pid", self_.pid}, {"version", self_.version}});
    registered_ = true;
    failing_ = false;
  } catch (const pg::Error& e) {
    failed(doing, e);
    if (e.connection_lost()) throw;
  }
}

void Presence::leave(pg::Connection& conn) {
  if (!registered_) return;
  try {
    sql::deregister_worker(conn, self_.worker_id);
    registered_ = false;
  } catch (const pg::Error& e) {
    // Listed as lost after the timeout instead.
    failed("deregister", e);
  }
}

void Presence::failed(const char* doing, const pg::Error& e) {
  if (failing_) return;
  failing_ = true;
  // 42883: the functions are missing, the database's schema predates the registry.
  util::log_event(spdlog::level::warn, "worker.registry_failed",
                  {{"doing", doing}, {"error", e.what()},
                   {"hint", e.sqlstate() == "42883" ? "the schema has no worker registry: run `examq migrate`"
                                                    : "retried every lease renewal round; jobs are not affected"}});
}

}  // namespace examq::queue
