#include "pg/listener.h"

#include "pg/error.h"

#include <poll.h>

#include <cerrno>

namespace examq::pg {

Listener::Listener(std::vector<std::string> channels) : channels_(std::move(channels)) {}

void Listener::subscribe(Connection& conn) const {
  for (const std::string& channel : channels_) conn.listen(channel);
}

void Listener::unsubscribe(Connection& conn) const {
  for (const std::string& channel : channels_) conn.unlisten(channel);
}

std::size_t Listener::drain(Connection& conn, std::vector<Notification>& out) const {
  std::size_t n = 0;
  while (auto note = conn.next_notification()) {
    out.push_back(std::move(*note));
    ++n;
  }
  return n;
}

Listener::Wake Listener::wait(Connection& conn, util::Wakeup* wake, std::chrono::steady_clock::time_point deadline,
                              std::vector<Notification>& out) const {
  // Notifications can already be buffered by libpq from earlier queries on this connection.
  if (drain(conn, out) > 0) return Wake::notified;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (wake == nullptr || !wake->drain()) {
      if (now >= deadline) return Wake::timed_out;
    } else {
      return Wake::woken;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    int timeout_ms = left > 60000 ? 60000 : static_cast<int>(left);
    pollfd fds[2] = {{conn.socket(), POLLIN, 0}, {wake != nullptr ? wake->fd() : -1, POLLIN, 0}};
    int rc = ::poll(fds, wake != nullptr ? 2 : 1, timeout_ms);
    if (rc < 0 && errno != EINTR) throw Error("waiting for notifications: poll failed", {}, "poll failed", {}, {}, {}, true);
    if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      conn.consume_input();
      if (drain(conn, out) > 0) return Wake::notified;
    }
  }
}

}  // namespace examq::pg
