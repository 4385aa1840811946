#pragma once
// A small libcurl client for the HTTP API tests: plain requests, and an event-stream reader
// that collects Server-Sent Events on a thread until stopped.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace examq::testing {

struct HttpResponse {
  long status = 0;                                // 0: no HTTP answer (connection refused or closed)
  std::string body;
  std::map<std::string, std::string> headers;     // names lower-cased
  std::string error;                              // curl's message when status is 0

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// method "GET", "POST", ...; headers as "Name: value".
HttpResponse http_request(const std::string& method, const std::string& url, const std::vector<std::string>& headers = {},
                          const std::string& body = std::string());

// One part of a multipart/form-data upload: a file when filename is set, else a field.
struct FormField {
  std::string name, value, filename;
};
HttpResponse http_upload(const std::string& url, const std::vector<std::string>& headers, const std::vector<FormField>& fields);

struct SseEvent {
  std::string id, event, data;
  std::chrono::steady_clock::time_point at;  // when the event's last byte arrived
};

class SseClient {
 public:
  SseClient(std::string url, std::vector<std::string> headers);
  ~SseClient();  // stops the stream and joins
  // Asks the stream to stop without waiting (curl notices within a second): stop many at once,
  // then destroy them.
  void stop() { stop_.store(true); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // Waits until pred(events so far) holds or the stream ends or timeout; returns pred's value.
  bool wait_for(const std::function<bool(const std::vector<SseEvent>&)>& pred, std::chrono::milliseconds timeout);
  // Waits until the raw stream contains `text`.
  bool wait_raw(const std::string& text, std::chrono::milliseconds timeout);
  std::vector<SseEvent> events() const;
  long status() const;          // the HTTP status once headers arrived
  bool ended() const;           // the server closed the stream (or it failed)
  std::string raw() const;      // everything received

 private:
  static std::size_t on_data(char* p, std::size_t size, std::size_t n, void* self);
  static int on_progress(void* self, long, long, long, long);
  void parse_locked();

  const std::string url_;
  const std::vector<std::string> headers_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string raw_;
  std::size_t parsed_ = 0;
  std::vector<SseEvent> events_;
  long status_ = 0;
  bool ended_ = false;
  void* handle_ = nullptr;  // the CURL easy handle, for the status once headers arrived
  std::thread thread_;
};

}  // namespace examq::testing
