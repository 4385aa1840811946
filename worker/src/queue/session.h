#pragma once
// A database session that comes back by itself. Each long-lived worker component (dispatcher,
// settler, lease keeper) owns one. get() (re)connects with capped exponential backoff and
// jitter; the component's on_connect hook then restores session state (LISTEN, ...).

#include "pg/connection.h"
#include "queue/backoff.h"
#include "util/duration.h"

#include <functional>
#include <memory>
#include <string>

namespace examq::queue {

class Session {
 public:
  // Waits for a backoff delay; returns false when the caller should give up (shutting down).
  using Sleep = std::function<bool(util::Duration)>;
  // Restores per-session state on a new connection; may throw pg::Error (a retryable one means
  // "try connecting again").
  using OnConnect = std::function<void(pg::Connection&)>;

  Session(std::string conninfo, std::string application_name, std::string component, OnConnect on_connect = {});

  // The live connection, connecting first when there is none or when the server has closed
  // it meanwhile (pg::Connection::alive_after_idle). Between failed attempts it
  // sleeps through `sleep`. Returns nullptr when `sleep` gives up. Non-retryable errors from
  // on_connect (e.g. the schema is missing) are thrown.
  pg::Connection* get(const Sleep& sleep);
  // After an error: drops the connection if it is broken (or always, when force), so that the
  // next get() reconnects. Logs the loss once.
  void reset_if_broken(const std::exception& cause, bool force = false);
  bool connected() const { return conn_ != nullptr; }
  // Closes the connection (the component is done with the database).
  void close() { conn_.reset(); }

 private:
  const std::string conninfo_, application_name_, component_;
  OnConnect on_connect_;
  std::unique_ptr<pg::Connection> conn_;
  Backoff backoff_;
  bool ever_connected_ = false;
  bool lost_logged_ = false;
};

}  // namespace examq::queue
