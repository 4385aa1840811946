#pragma once
// The HTTP endpoint Prometheus scrapes: GET /metrics (and HEAD), nothing else. Boost.Beast on
// one thread of its own; a request must arrive whole within a few seconds and only a few
// connections are served at once, so a slow or greedy client cannot pin the worker.

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace examq::metrics {

class Exporter {
 public:
  // body() makes the page; it runs on the exporter's thread, one request at a time.
  Exporter(std::string host, unsigned short port, std::function<std::string()> body);
  ~Exporter();  // stop()
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Binds and starts serving; throws std::system_error naming the address when it cannot.
  void start();
  // The port bound (port 0 picks a free one).
  unsigned short port() const { return port_; }
  // Closes the listener and every connection and joins the thread.
  void stop();

  struct Shared;

 private:
  std::string host_;
  unsigned short port_;
  std::unique_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace examq::metrics
