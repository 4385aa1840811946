#pragma once
// A small threaded HTTP/1.1 server on 127.0.0.1 (ephemeral port) for tests that must see what a
// client really sends. One thread per connection, keep-alive (several requests per connection),
// Content-Length bodies. The handler runs on the connection's thread, so it may block (to hold
// requests in flight together) and it counts what it sees.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace examq::test {

struct FakeRequest {
  std::string method;
  std::string target;  // path (and query)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
  int connection = 0;  // 1-based number of the TCP connection it came on
  int sequence = 0;    // 1-based number of the request across the server
  int in_flight_on_arrival = 0;  // requests in flight, this one included, when it arrived

  // The first header of that (lower-case) name.
  std::optional<std::string> header(std::string_view name) const;
};

// How a fake provider streams an answer when the request asks for a stream (provider_wire.h
// turns the answer into the provider's events). Event numbers count from 0.
struct StreamOptions {
  std::chrono::milliseconds event_delay{0};  // before every event
  int stall_before = -1;                     // this event comes after `stall` more of silence
  std::chrono::milliseconds stall{0};
  int error_before = -1;  // this event is replaced by an "overloaded" error event, the last one
  int cut_before = -1;    // the stream ends (cleanly, as HTTP goes) before this event
  std::size_t piece = 48; // characters of the model's answer per delta event
};

// One write of a streamed body, after `delay` (sent as one HTTP chunk).
struct StreamPart {
  std::chrono::milliseconds delay{0};
  std::string bytes;
};

struct FakeResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  // Wait this long before answering, as a slow server would. Cut short when the client hangs up
  // (counted in abandoned()) or the server stops.
  std::chrono::milliseconds delay{0};
  // How to stream this answer if the request asks for a stream (see fake_provider.h).
  StreamOptions stream_options;
  // A streamed body (chunked transfer encoding, `content_type` text/event-stream): each part is
  // sent after its delay; `body` is unused. The client hanging up ends it (abandoned()).
  bool streamed = false;
  std::vector<StreamPart> stream;
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  int connections() const;    // TCP connections accepted
  int request_count() const;  // requests read completely
  int max_in_flight() const;  // most requests read completely and not yet being answered at once
  int abandoned() const;      // requests whose client hung up before the answer was sent
  std::vector<FakeRequest> requests() const;

  // For handlers: waits until at least n requests are, or have been, in flight at once (the
  // caller's included) and returns true, or returns false after `limit`. "Have been": since the
  // oldest request still in flight arrived; the nth request may arrive and be answered before the
  // others' handlers run or wake, and they must not then wait out the limit for a count that was
  // reached (that cost 10 s a call in ai_backend).
  bool await_in_flight(int n, std::chrono::milliseconds limit);
  // Same with any condition on the number in flight, re-checked whenever that number changes
  // or poke() is called (after the condition's other inputs changed).
  bool await(const std::function<bool(int in_flight)>& condition, std::chrono::milliseconds limit);
  void poke();
  // For tests: waits until at least n requests were abandoned, or `limit` passes.
  bool await_abandoned(int n, std::chrono::milliseconds limit);

  // Closes the listening socket and every connection, and joins the threads. Idempotent.
  void stop();

 private:
  void accept_loop();
  void serve(int fd, int connection);
  bool wait_or_hangup(int fd, std::chrono::milliseconds delay);  // false when the client left

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
  std::vector<FakeRequest> requests_;
  int connections_ = 0;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  std::set<int> in_flight_sequences_;  // the sequence numbers of the requests in flight
  int abandoned_ = 0;
};

}  // namespace examq::test
