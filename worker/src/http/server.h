#pragma once
// `examq serve`'s HTTP/1.1 server (Boost.Beast): accepts, reads and bounds requests, verifies
// the caller's token, and hands the request to the Api on a pool of database threads, so a slow
// query never stalls the sockets. Slow or idle clients cannot pin it: header and body sizes,
// the time to send a request, idle keep-alive time and the number of connections are all
// limited, and an event stream that stops reading is dropped (it may resume).

#include "http/api.h"
#include "http/event_hub.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace examq::http {

struct ServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 1024 * 1024;          // JSON requests
  std::uint64_t max_upload_bytes = 64ULL * 1024 * 1024; // multipart uploads
  std::chrono::milliseconds request_timeout{30000};     // to receive one whole request
  std::chrono::milliseconds idle_timeout{60000};        // a keep-alive connection between requests
  std::size_t max_connections = 1000;
  std::size_t max_event_backlog_bytes = 4 * 1024 * 1024;  // unsent SSE bytes before a stream is dropped
  std::chrono::milliseconds event_heartbeat{15000};
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  int io_threads = 2;
  int db_threads = 8;
  ServerLimits limits;
  std::string jwt_secret;
};

class Server {
 public:
  Server(ServerConfig config, Api& api, EventHub& hub);
  ~Server();

  // Binds (throws std::system_error with the address on failure) and starts serving.
  void start();
  // The port actually bound (config port 0 picks a free one).
  unsigned short port() const { return bound_port_; }
  // Stops accepting, closes every connection and joins the threads.
  void stop();

  std::size_t connections() const { return connections_.load(); }

  // Internal, shared with the connection objects.
  struct Shared;

 private:
  ServerConfig config_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::thread> threads_;
  unsigned short bound_port_ = 0;
  std::atomic<std::size_t> connections_{0};
};

}  // namespace examq::http
