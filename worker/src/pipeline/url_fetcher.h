#pragma once
// Fetching a paper's PDF from its file_url: https and http with libcurl, file:// under an allowed
// root (read by file_url.h, never by libcurl). TLS peer and host verification stay on (libcurl's
// defaults; never disabled). Every connection libcurl opens, on every redirect, is checked
// against an AddressPolicy first; proxies follow libcurl's environment variables, and then the
// target's own addresses are checked. docs/url-fetching.md tells the whole policy.

#include "pipeline/address_policy.h"
#include "util/duration.h"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace examq::pipeline {

// Why a fetch failed. `transient()` is true for what a retry may fix (timeouts, connection
// errors, HTTP 408/429/5xx), false for what it cannot (404, a refused scheme or address, a file
// too large).
class FetchError : public std::runtime_error {
 public:
  FetchError(const std::string& message, bool transient) : std::runtime_error(message), transient_(transient) {}
  bool transient() const { return transient_; }

 private:
  bool transient_;
};

struct FetchLimits {
  std::size_t max_bytes = 50u << 20;
  util::Duration timeout = std::chrono::seconds(60);
  // file:// URLs must name a file under this directory; "" refuses them.
  std::string file_root;
  // Which non-public addresses http(s) may reach besides public ones (EXAMQ_FETCH_ALLOW).
  AddressPolicy allow;
};

// The body of `url`. Redirects (at most 5) may only lead to http(s). Throws FetchError, whose
// message shows the URL as redact_url() does.
std::string fetch_url(const std::string& url, const FetchLimits& limits);

// The URL without user info, query or fragment: passwords and signed URLs' secrets live there,
// and the shown URL ends up in logs, error_message and the job's result. "(invalid URL)" when
// it does not parse.
std::string redact_url(const std::string& url);

// "file at <shown> is larger than the N MB limit" (one wording for every scheme).
std::string too_large_message(const std::string& shown, std::size_t max_bytes);

}  // namespace examq::pipeline
