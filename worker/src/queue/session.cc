#include "queue/session.h"

#include "pg/error.h"
#include "util/log.h"

namespace examq::queue {

using namespace std::chrono_literals;

Session::Session(std::string conninfo, std::string application_name, std::string component, OnConnect on_connect)
    : conninfo_(std::move(conninfo)),
      application_name_(std::move(application_name)),
      component_(std::move(component)),
      on_connect_(std::move(on_connect)),
      backoff_(100ms, 5s) {}

pg::Connection* Session::get(const Sleep& sleep) {
  // A session the server closed while we were not using it (a restart) is replaced now,
  // rather than failing the next statement, whose outcome would then be in doubt.
  if (conn_ && !conn_->alive_after_idle()) {
    conn_.reset();
    if (!lost_logged_) {
      util::log_event(spdlog::level::warn, "db.connection_lost",
                      {{"component", component_}, {"error", "closed by the server while idle"}});
      lost_logged_ = true;
    }
  }
  while (!conn_) {
    try {
      auto conn = std::make_unique<pg::Connection>(conninfo_, application_name_);
      // Planner settings the queue needs (custom plans for the batch functions, no bitmap
      // scan for the claim) are pinned on the SQL functions themselves, for every client.
      if (on_connect_) on_connect_(*conn);
      conn_ = std::move(conn);
      if (ever_connected_) {
        util::log_event(spdlog::level::info, "db.reconnected",
                        {{"component", component_}, {"attempts", backoff_.attempts()}});
      }
      ever_connected_ = true;
      lost_logged_ = false;
      backoff_.reset();
    } catch (const pg::Error& e) {
      if (!e.retryable()) throw;
      util::Duration delay = backoff_.next();
      // One line when the trouble starts, then only every few attempts: no log flood while the
      // server is down.
      if (!lost_logged_ || backoff_.attempts() % 10 == 0) {
        util::log_event(spdlog::level::warn, "db.unavailable",
                        {{"component", component_}, {"error", e.what()}, {"attempt", backoff_.attempts()},
                         {"retry_in", util::format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(delay))}});
        lost_logged_ = true;
      }
      if (!sleep(delay)) return nullptr;
    }
  }
  return conn_.get();
}

void Session::reset_if_broken(const std::exception& cause, bool force) {
  if (!conn_ || !(force || conn_->broken())) return;
  conn_.reset();
  if (!lost_logged_) {
    util::log_event(spdlog::level::warn, "db.connection_lost", {{"component", component_}, {"error", cause.what()}});
    lost_logged_ = true;
  }
}

}  // namespace examq::queue
