#pragma once
// A bounded set of connections shared by threads, opened lazily. A lease hands one
// connection to one thread and gives it back (or drops it when broken) on destruction.

#include "pg/connection.h"

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace examq::pg {

class ConnectionPool {
 public:
  ConnectionPool(std::string conninfo, std::string application_name, std::size_t max_size);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // An idle connection that is still alive (Connection::alive_after_idle; dead ones are dropped),
  // a new one while fewer than max_size are open, or else waits for one to come back. Throws
  // pg::Error (connection_lost()) when a new connection cannot be made.
  Lease acquire();

 private:
  void give_back(std::unique_ptr<Connection> conn);

  const std::string conninfo_;
  const std::string application_name_;
  const std::size_t max_size_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

}  // namespace examq::pg
