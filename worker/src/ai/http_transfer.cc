#include "ai/http_transfer.h"

#include "ai/streaming.h"

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string_view>

namespace examq::ai {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

long millis(util::Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<long>(std::clamp<std::int64_t>(ms, 1, 0x7fffffff));
}

void check(CURLcode code, const char* what) {
  if (code != CURLE_OK) throw std::runtime_error(std::string("libcurl: cannot set ") + what + ": " + curl_easy_strerror(code));
}

}  // namespace

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] {
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) throw std::runtime_error(std::string("libcurl initialisation failed: ") + curl_easy_strerror(rc));
  });
}

Transfer::Transfer(const HttpRequest& request, const TransferOptions& options)
    : max_body_(options.max_response_bytes),
      stream_(options.stream),
      silence_(options.silence_timeout),
      last_activity_(std::chrono::steady_clock::now()) {
  ensure_curl_initialised();
  easy_ = curl_easy_init();
  if (easy_ == nullptr) throw std::bad_alloc();
  // "Expect:" stops libcurl from waiting for "100 Continue" before sending a large body: the
  // APIs answer a bad request after reading it anyway, and the wait costs a round trip.
  std::vector<const char*> lines;
  for (const std::string& h : request.headers) lines.push_back(h.c_str());
  lines.push_back("Expect:");
  for (const char* h : lines) {
    curl_slist* next = curl_slist_append(headers_, h);
    if (next == nullptr) {
      curl_slist_free_all(headers_);
      curl_easy_cleanup(easy_);
      throw std::bad_alloc();
    }
    headers_ = next;
  }
  try {
    check(curl_easy_setopt(easy_, CURLOPT_URL, request.url.c_str()), "URL");
    check(curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols");
    check(curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L), "redirects");
    check(curl_easy_setopt(easy_, CURLOPT_POST, 1L), "POST");
    check(curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, request.body.data()), "body");
    check(curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())), "body size");
    check(curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_), "headers");
    check(curl_easy_setopt(easy_, CURLOPT_USERAGENT, "examq/0.1"), "user agent");
    check(curl_easy_setopt(easy_, CURLOPT_ACCEPT_ENCODING, ""), "encodings");
    check(curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, millis(options.timeout)), "timeout");
    check(curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, millis(options.connect_timeout)), "connect timeout");
    check(curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L), "nosignal");
    check(curl_easy_setopt(easy_, CURLOPT_TCP_KEEPALIVE, 1L), "keepalive");
    // Verification is libcurl's default; set explicitly so no later edit can quietly lose it.
    check(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 1L), "TLS peer verification");
    check(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 2L), "TLS host verification");
    if (!options.ca_file.empty()) check(curl_easy_setopt(easy_, CURLOPT_CAINFO, options.ca_file.c_str()), "CA file");
    check(curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Transfer::on_body), "body callback");
    check(curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this), "body callback data");
    check(curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Transfer::on_header), "header callback");
    check(curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this), "header callback data");
    check(curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_), "error buffer");
    check(curl_easy_setopt(easy_, CURLOPT_PRIVATE, this), "private");
    if (silence_) {
      // The silence check runs in the progress callback, which libcurl calls about once a second
      // while nothing moves. The low-speed limit (a byte a second over a longer window) is a
      // backstop, and keeps libcurl's one-second speed-check timer running on the multi handle.
      check(curl_easy_setopt(easy_, CURLOPT_NOPROGRESS, 0L), "progress");
      check(curl_easy_setopt(easy_, CURLOPT_XFERINFOFUNCTION, &Transfer::on_progress), "progress callback");
      check(curl_easy_setopt(easy_, CURLOPT_XFERINFODATA, this), "progress callback data");
      const auto backstop = std::chrono::duration_cast<std::chrono::seconds>(*silence_).count() + 5;
      check(curl_easy_setopt(easy_, CURLOPT_LOW_SPEED_LIMIT, 1L), "low speed limit");
      check(curl_easy_setopt(easy_, CURLOPT_LOW_SPEED_TIME, static_cast<long>(backstop)), "low speed time");
    }
  } catch (...) {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(easy_);
    throw;
  }
}

Transfer::~Transfer() {
  curl_easy_cleanup(easy_);
  curl_slist_free_all(headers_);
}

std::size_t Transfer::on_body(char* data, std::size_t size, std::size_t count, void* self) {
  auto* t = static_cast<Transfer*>(self);
  std::size_t n = size * count;
  if (t->response_.body.size() + n > t->max_body_) return 0;  // aborts with CURLE_WRITE_ERROR
  if (t->silence_) t->last_activity_ = std::chrono::steady_clock::now();
  t->response_.body.append(data, n);
  return n;
}

std::size_t Transfer::on_header(char* data, std::size_t size, std::size_t count, void* self) {
  auto* t = static_cast<Transfer*>(self);
  std::size_t n = size * count;
  std::string_view line(data, n);
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (after 100 Continue, say): forget the previous one's headers.
    t->response_.retry_after.reset();
    t->response_.retry_after_ms.reset();
    t->response_.request_id.reset();
    t->response_.location.reset();
    return n;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view name = trim(line.substr(0, colon));
  std::string value(trim(line.substr(colon + 1)));
  if (iequals(name, "retry-after")) {
    t->response_.retry_after = std::move(value);
  } else if (iequals(name, "retry-after-ms")) {
    t->response_.retry_after_ms = std::move(value);
  } else if (iequals(name, "x-request-id") || iequals(name, "request-id")) {
    t->response_.request_id = std::move(value);
  } else if (iequals(name, "location")) {
    t->response_.location = std::move(value);
  }
  return n;
}

int Transfer::on_progress(void* self, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (dlnow != t->last_down_ || ulnow != t->last_up_) {
    t->last_down_ = dlnow;
    t->last_up_ = ulnow;
    t->last_activity_ = now;
    return 0;
  }
  if (t->silence_ && now - t->last_activity_ > *t->silence_) {
    t->silent_ = true;
    return 1;  // aborts with CURLE_ABORTED_BY_CALLBACK, reported as a timeout by finish()
  }
  return 0;
}

HttpResponse Transfer::finish(CURLcode result) {
  if (silent_ && result == CURLE_ABORTED_BY_CALLBACK) {
    result = CURLE_OPERATION_TIMEDOUT;
    std::snprintf(error_, sizeof error_, "no data for %s while streaming the answer (EXAMQ_AI_REQUEST_TIMEOUT)",
                  util::format_duration(*silence_).c_str());
  } else if (silence_ && result == CURLE_OPERATION_TIMEDOUT && error_[0] != '\0' &&
             std::string_view(error_).find("too slow") == std::string_view::npos) {
    // The whole-request cap (EXAMQ_AI_REQUEST_MAX_TIME, or the job's deadline), not silence.
    const std::string what = std::string(error_) + " (the cap on one streamed request, EXAMQ_AI_REQUEST_MAX_TIME, or the deadline)";
    std::snprintf(error_, sizeof error_, "%s", what.c_str());
  }
  response_.curl_code = result;
  if (result != CURLE_OK) {
    response_.curl_error = error_[0] != '\0' ? std::string(error_) : std::string(curl_easy_strerror(result));
  }
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &response_.status);
  if (result == CURLE_WRITE_ERROR) response_.curl_error = "the response is larger than the limit";
  settle_stream(stream_, response_);
  return std::move(response_);
}

}  // namespace examq::ai
