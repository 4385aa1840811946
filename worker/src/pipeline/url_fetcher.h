#pragma once
// Fetching a paper's PDF from its file_url with libcurl: https, http, and file:// under an
// allowed root. TLS peer and host verification stay on (libcurl's defaults; never disabled);
// proxies follow libcurl's usual environment variables (https_proxy, no_proxy, ...).

#include "util/duration.h"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace examq::pipeline {

// Why a fetch failed. `transient()` is true for what a retry may fix (timeouts, connection
// errors, HTTP 408/429/5xx), false for what it cannot (404, a refused scheme, a file too large).
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
  // file:// URLs must resolve (after symlinks) to a path under this directory; "" refuses them.
  std::string file_root;
};

// The body of `url`. Redirects (at most 5) may only lead to http(s). Throws FetchError, whose
// message shows the URL without user info, query or fragment (where signed URLs keep secrets).
std::string fetch_url(const std::string& url, const FetchLimits& limits);

}  // namespace examq::pipeline
