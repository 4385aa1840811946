#include "pipeline/url_fetcher.h"

#include "pipeline/connection_guard.h"
#include "pipeline/file_url.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace examq::pipeline {
namespace {

using UrlHandle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

struct Body {
  std::string data;
  std::size_t max_bytes = 0;
  bool too_large = false;
};

std::size_t on_data(char* ptr, std::size_t size, std::size_t nmemb, void* userdata) {
  auto* body = static_cast<Body*>(userdata);
  std::size_t n = size * nmemb;
  if (body->data.size() + n > body->max_bytes) {
    body->too_large = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  body->data.append(ptr, n);
  return n;
}

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, flags) != CURLUE_OK) return "";
  std::string s(out);
  curl_free(out);
  return s;
}

std::string size_text(std::size_t bytes) {
  if (bytes < (1u << 20)) return std::to_string(bytes) + " bytes";
  return std::to_string(bytes >> 20) + " MB";
}

constexpr int kMaxRedirects = 5;

}  // namespace

std::string redact_url(const std::string& url) {
  UrlHandle u(curl_url(), curl_url_cleanup);
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return "(invalid URL)";
  curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_OPTIONS, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_QUERY, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  char* out = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) return "(invalid URL)";
  std::string s(out);
  curl_free(out);
  return s;
}

std::string too_large_message(const std::string& shown, std::size_t max_bytes) {
  return "file at " + shown + " is larger than the " + size_text(max_bytes) + " limit";
}

std::string fetch_url(const std::string& url, const FetchLimits& limits) {
  global_init_once();
  const std::string scheme = lower(url.substr(0, url.find(':')));
  if (scheme != "https" && scheme != "http" && scheme != "file") {
    throw FetchError("unsupported URL scheme \"" + scheme + "\" (use https, http or file)", false);
  }
  if (scheme == "file") return read_file_url(url, limits.file_root, limits.max_bytes);
  const std::string shown = redact_url(url);

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw FetchError("libcurl could not start", true);
  Body body;
  body.max_bytes = limits.max_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  // Redirects are followed here, not by libcurl, so each hop's host and proxy are known to the
  // socket callback and a hop to another scheme is refused with a clear message.
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // we are multi-threaded
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "examq");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_FAILONERROR, 0L);
  ConnectionGuard guard(h, limits.allow);

  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  std::string current = url;
  for (int hop = 0;; ++hop) {
    UrlHandle u(curl_url(), curl_url_cleanup);
    if (curl_url_set(u.get(), CURLUPART_URL, current.c_str(), 0) != CURLUE_OK) {
      throw FetchError("fetching " + shown + " failed: " + (hop == 0 ? "not a valid URL" : "redirected to an invalid URL"),
                       false);
    }
    const std::string hop_scheme = lower(url_part(u.get(), CURLUPART_SCHEME));
    if (hop_scheme != "http" && hop_scheme != "https") {
      throw FetchError("fetching " + shown + " failed: redirected to a " + hop_scheme + " URL (only http and https)", false);
    }
    guard.prepare(url_part(u.get(), CURLUPART_HOST), hop_scheme, "fetching " + shown);
    curl_easy_setopt(h, CURLOPT_URL, current.c_str());
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long long>(left.count(), 1)));
    body.data.clear();
    error[0] = '\0';

    CURLcode rc = curl_easy_perform(h);
    if (body.too_large || rc == CURLE_FILESIZE_EXCEEDED) throw FetchError(too_large_message(shown, limits.max_bytes), false);
    if (rc != CURLE_OK && guard.refused()) throw FetchError("fetching " + shown + " refused: " + *guard.refused(), false);
    if (rc != CURLE_OK) {
      std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
      const bool transient = transient_transfer_error(rc);
      throw FetchError("fetching " + shown + " failed: " + why, transient);
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char* location = nullptr;
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
    if (status >= 300 && status < 400 && location != nullptr) {
      if (hop == kMaxRedirects) {
        throw FetchError("fetching " + shown + " failed: more than " + std::to_string(kMaxRedirects) + " redirects", false);
      }
      current = location;
      continue;
    }
    if (status < 200 || status >= 300) {
      bool transient = status == 408 || status == 429 || status >= 500;
      throw FetchError("fetching " + shown + " failed: HTTP " + std::to_string(status), transient);
    }
    return std::move(body.data);
  }
}

}  // namespace examq::pipeline
