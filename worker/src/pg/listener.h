#pragma once
// LISTEN/NOTIFY on a Connection: subscribe, then block until a notification, a wake-up from
// another thread, or a deadline. Used by the worker's dispatcher and by `examq watch`.

#include "pg/connection.h"
#include "util/wakeup.h"

#include <chrono>
#include <string>
#include <vector>

namespace examq::pg {

class Listener {
 public:
  enum class Wake { notified, woken, timed_out };

  explicit Listener(std::vector<std::string> channels);

  // LISTENs on every channel. Call after each (re)connect: a new session listens to nothing.
  void subscribe(Connection& conn) const;

  // UNLISTENs every channel.
  void unsubscribe(Connection& conn) const;

  // Appends to `out` every notification already received on conn; returns how many.
  // Throws pg::Error when the connection has broken.
  std::size_t drain(Connection& conn, std::vector<Notification>& out) const;

  // Blocks until conn delivers at least one notification (appended to `out`: `notified`),
  // `wake` fires (`woken`; wake may be null), or `deadline` passes (`timed_out`). Notifications
  // that arrived during earlier queries on conn count. Throws pg::Error when the connection
  // breaks, so a server restart is noticed while idle.
  Wake wait(Connection& conn, util::Wakeup* wake, std::chrono::steady_clock::time_point deadline,
            std::vector<Notification>& out) const;

 private:
  std::vector<std::string> channels_;
};

}  // namespace examq::pg
