#pragma once
// One HTTP POST as a libcurl easy handle, for a multi handle to drive (batch_runner.h). Secure
// defaults are fixed here: TLS verification is never turned off, only http/https, no redirects
// (a redirect would carry the key to wherever it points), no verbose output (it would print the
// headers). Certificates are checked against the system's CA store, or a given bundle. Proxies come from libcurl's usual environment variables (https_proxy, no_proxy...).

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "util/duration.h"

namespace examq::ai {

// Initialises libcurl once per process (curl_global_init). Safe to call from any thread.
void ensure_curl_initialised();

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; may hold the key, so never log them
  std::string body;                  // JSON
};

struct HttpResponse {
  CURLcode curl_code = CURLE_OK;
  std::string curl_error;  // libcurl's description when curl_code is not CURLE_OK
  long status = 0;         // 0 when no response arrived
  std::string body;        // at most TransferOptions::max_response_bytes
  // Headers that matter for retries and support tickets (names matched case-insensitively).
  std::optional<std::string> retry_after;
  std::optional<std::string> retry_after_ms;
  std::optional<std::string> request_id;  // x-request-id (OpenAI) or request-id (Anthropic)
  std::optional<std::string> location;    // of a redirect, to say where it pointed
};

// How a streamed answer is framed (streaming.h); none: the request asks for one JSON body.
enum class StreamFormat { none, openai, anthropic };

struct TransferOptions {
  // The whole transfer, connect to last byte (streamed: EXAMQ_AI_REQUEST_MAX_TIME).
  util::Duration timeout = std::chrono::seconds(180);
  // Streamed only: the longest time without a byte sent or received (EXAMQ_AI_REQUEST_TIMEOUT);
  // past it the transfer ends as CURLE_OPERATION_TIMEDOUT. Checked about once a second.
  std::optional<util::Duration> silence_timeout;
  // Streamed: finish() folds a complete event stream into the non-streamed body (streaming.h).
  StreamFormat stream = StreamFormat::none;
  util::Duration connect_timeout = std::chrono::seconds(10);
  std::size_t max_response_bytes = 32u << 20;
  std::string ca_file;  // PEM bundle to trust instead of the system's; "" for the system's
};

class Transfer {
 public:
  // `request` is not copied and must outlive the transfer.
  Transfer(const HttpRequest& request, const TransferOptions& options);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  CURL* easy() const { return easy_; }

  // The response once the multi handle reported the transfer done with `result`.
  HttpResponse finish(CURLcode result);

 private:
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self);
  static int on_progress(void* self, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::size_t max_body_;
  HttpResponse response_;
  char error_[CURL_ERROR_SIZE] = {};
  // Streaming: the silence allowed, the last time a byte moved, and whether silence ended it.
  StreamFormat stream_ = StreamFormat::none;
  std::optional<util::Duration> silence_;
  std::chrono::steady_clock::time_point last_activity_;
  curl_off_t last_up_ = 0;
  curl_off_t last_down_ = 0;
  bool silent_ = false;
};

}  // namespace examq::ai
