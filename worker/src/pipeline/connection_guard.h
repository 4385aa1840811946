#pragma once
// The address policy (address_policy.h, EXAMQ_FETCH_ALLOW) applied to every connection a libcurl
// handle opens, proxies included. Shared by the PDF fetcher and the notify handler's webhooks so
// that one policy governs every HTTP request a job's data can aim somewhere.

#include "pipeline/address_policy.h"

#include <curl/curl.h>

#include <optional>
#include <string>
#include <vector>

namespace examq::pipeline {

// Whether a failed transfer may succeed when tried again (timeouts, connection and TLS handshake
// errors, a reply cut short), as opposed to a refusal or a configuration error.
bool transient_transfer_error(CURLcode rc);

class ConnectionGuard {
 public:
  // Installs the socket callback on `handle`: libcurl keeps a pointer to this object, so it
  // must outlive every transfer made with the handle (hence neither copyable nor movable).
  ConnectionGuard(CURL* handle, const AddressPolicy& policy);
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Before each request to `host` over `scheme` (http or https): sets the proxy libcurl uses
  // (libcurl's environment variables, read here so the proxy checked is the proxy used) and,
  // through a proxy, checks the target's addresses as this machine resolves them. Throws
  // FetchError (url_fetcher.h) whose message starts with `what` ("fetching https://x/a.pdf").
  void prepare(const std::string& host, const std::string& scheme, const std::string& what);

  // Why the current request's first refused connection was refused, if one was: "address
  // 127.0.0.1 of host h is not allowed (loopback); set EXAMQ_FETCH_ALLOW to permit it".
  const std::optional<std::string>& refused() const { return refused_; }

 private:
  static curl_socket_t open_socket(void* clientp, curlsocktype, curl_sockaddr* a);

  CURL* handle_;
  const AddressPolicy* policy_;
  std::string host_;                      // the current request's host (redirects change it)
  std::vector<sockaddr_storage> proxies_; // the proxy's endpoints when one is configured
  std::optional<std::string> refused_;
};

}  // namespace examq::pipeline
