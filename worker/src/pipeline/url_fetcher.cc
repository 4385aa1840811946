#include "pipeline/url_fetcher.h"

#include <curl/curl.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

namespace examq::pipeline {
namespace {

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

// The URL without user info, query or fragment: signed URLs carry their secret there, and
// this text ends up in logs and error_message.
std::string redact(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return "(invalid URL)";
  curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_QUERY, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  char* out = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) return "(invalid URL)";
  std::string s(out);
  curl_free(out);
  return s;
}

std::string mb(std::size_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

// The local path of a file:// URL if it lies under root; throws FetchError otherwise.
std::string checked_file_path(const std::string& url, const std::string& root) {
  if (root.empty()) {
    throw FetchError("file:// URLs are disabled; set EXAMQ_FILE_URL_ROOT to a directory to allow them", false);
  }
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  char* path = nullptr;
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(u.get(), CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK) {
    throw FetchError("not a valid file URL", false);
  }
  std::string decoded(path);
  curl_free(path);
  std::error_code ec;
  auto real = std::filesystem::canonical(decoded, ec);
  if (ec) throw FetchError("cannot open " + decoded + ": " + ec.message(), false);
  auto real_root = std::filesystem::canonical(root, ec);
  if (ec) throw FetchError("EXAMQ_FILE_URL_ROOT " + root + ": " + ec.message(), false);
  auto rel = real.lexically_relative(real_root);
  if (rel.empty() || rel.native().starts_with("..")) {
    throw FetchError(decoded + " is outside EXAMQ_FILE_URL_ROOT", false);
  }
  return real.string();
}

}  // namespace

std::string fetch_url(const std::string& url, const FetchLimits& limits) {
  global_init_once();
  std::string scheme = url.substr(0, url.find(':'));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "https" && scheme != "http" && scheme != "file") {
    throw FetchError("unsupported URL scheme \"" + scheme + "\" (use https, http or file)", false);
  }
  const std::string shown = redact(url);
  std::string effective = url;
  if (scheme == "file") effective = "file://" + checked_file_path(url, limits.file_root);

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw FetchError("libcurl could not start", true);
  Body body;
  body.max_bytes = limits.max_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, effective.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, scheme == "file" ? "file" : "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // we are multi-threaded
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(limits.timeout).count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "examq");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_FAILONERROR, 0L);

  CURLcode rc = curl_easy_perform(h);
  if (body.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    throw FetchError("file at " + shown + " is larger than the " + mb(limits.max_bytes) + " limit", false);
  }
  if (rc != CURLE_OK) {
    std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
    bool transient = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT ||
                     rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
                     rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE || rc == CURLE_SSL_CONNECT_ERROR;
    throw FetchError("fetching " + shown + " failed: " + why, transient);
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (scheme != "file" && (status < 200 || status >= 300)) {
    bool transient = status == 408 || status == 429 || status >= 500;
    throw FetchError("fetching " + shown + " failed: HTTP " + std::to_string(status), transient);
  }
  return std::move(body.data);
}

}  // namespace examq::pipeline
