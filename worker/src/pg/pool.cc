#include "pg/pool.h"

#include "util/log.h"

namespace examq::pg {

ConnectionPool::ConnectionPool(std::string conninfo, std::string application_name, std::size_t max_size)
    : conninfo_(std::move(conninfo)), application_name_(std::move(application_name)), max_size_(max_size) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->give_back(std::move(conn_));
}

ConnectionPool::Lease ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  for (;;) {
    available_.wait(lock, [&] { return !idle_.empty() || open_ < max_size_; });
    if (idle_.empty()) break;
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    if (conn->alive_after_idle()) return Lease(this, std::move(conn));
    // Closed by the server while idle (a restart, an administrator): never handed out, so the
    // caller's statement runs on a fresh session instead of failing (a job would spend a retry).
    util::log_event(spdlog::level::info, "db.pooled_connection_replaced",
                    {{"pool", application_name_}, {"reason", "closed by the server while idle"}});
    conn.reset();
    lock.lock();
    --open_;
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(this, std::make_unique<Connection>(conninfo_, application_name_));
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void ConnectionPool::give_back(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (conn->broken()) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

}  // namespace examq::pg
