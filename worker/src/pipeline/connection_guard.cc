#include "pipeline/connection_guard.h"

#include "pipeline/url_fetcher.h"

#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace examq::pipeline {
namespace {

// The addresses `host` resolves to here (for a port, when given). Empty when it does not.
std::vector<sockaddr_storage> resolve(const std::string& host, const std::string& port = "") {
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::vector<sockaddr_storage> out;
  if (::getaddrinfo(name.c_str(), port.empty() ? nullptr : port.c_str(), &hints, &list) != 0) return out;
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    sockaddr_storage s{};
    std::memcpy(&s, a->ai_addr, std::min<std::size_t>(a->ai_addrlen, sizeof s));
    out.push_back(s);
  }
  ::freeaddrinfo(list);
  return out;
}

bool same_endpoint(const sockaddr& a, const sockaddr_storage& b) {
  if (a.sa_family != b.ss_family) return false;
  if (a.sa_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.sa_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
  }
  return false;
}

// The proxy libcurl would take from the environment for `scheme`, in libcurl's order:
// "<scheme>_proxy", then (not for http, where HTTP_PROXY could be set by a CGI request's
// "Proxy:" header) "<SCHEME>_PROXY", then all_proxy and ALL_PROXY. no_proxy is left to libcurl.
std::string proxy_for(const std::string& scheme) {
  std::vector<std::string> names{scheme + "_proxy"};
  if (scheme != "http") {
    std::string upper = scheme + "_PROXY";
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    names.push_back(upper);
  }
  names.insert(names.end(), {"all_proxy", "ALL_PROXY"});
  for (const auto& n : names) {
    const char* v = std::getenv(n.c_str());
    if (v != nullptr && *v != '\0') return v;
  }
  return "";
}

// The addresses and port of a proxy ("host:port" or a URL; libcurl's default port is 1080).
std::vector<sockaddr_storage> proxy_endpoints(const std::string& proxy) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (curl_url_set(u.get(), CURLUPART_URL, proxy.c_str(), CURLU_DEFAULT_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return {};
  }
  auto part = [&](CURLUPart which) {
    char* out = nullptr;
    if (curl_url_get(u.get(), which, &out, 0) != CURLUE_OK) return std::string();
    std::string s(out);
    curl_free(out);
    return s;
  };
  std::string port = part(CURLUPART_PORT);
  if (port.empty()) port = ::strcasecmp(part(CURLUPART_SCHEME).c_str(), "https") == 0 ? "443" : "1080";
  return resolve(part(CURLUPART_HOST), port);
}

std::string refusal_text(const sockaddr& addr, const std::string& host, const std::string& kind) {
  return "address " + address_text(addr) + " of host " + host + " is not allowed (" + kind +
         "); set EXAMQ_FETCH_ALLOW to permit it";
}

}  // namespace

bool transient_transfer_error(CURLcode rc) {
  return rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
         rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
         rc == CURLE_PARTIAL_FILE || rc == CURLE_SSL_CONNECT_ERROR;
}

ConnectionGuard::ConnectionGuard(CURL* handle, const AddressPolicy& policy) : handle_(handle), policy_(&policy) {
  curl_easy_setopt(handle_, CURLOPT_OPENSOCKETFUNCTION, &ConnectionGuard::open_socket);
  curl_easy_setopt(handle_, CURLOPT_OPENSOCKETDATA, this);
}

void ConnectionGuard::prepare(const std::string& host, const std::string& scheme, const std::string& what) {
  host_ = host;
  refused_.reset();
  proxies_.clear();
  // Through a proxy libcurl connects only to the proxy, which resolves the target itself: the
  // target's addresses are checked as this machine resolves them (docs/url-fetching.md).
  const std::string proxy = proxy_for(scheme);
  if (!proxy.empty()) {
    const auto targets = resolve(host);
    if (targets.empty()) throw FetchError(what + " failed: could not resolve host " + host, true);
    for (const auto& t : targets) {
      const auto& addr = reinterpret_cast<const sockaddr&>(t);
      if (auto kind = policy_->refusal(addr, host)) {
        throw FetchError(what + " refused: " + refusal_text(addr, host, *kind), false);
      }
    }
    proxies_ = proxy_endpoints(proxy);
  }
  // Set explicitly ("" for none) so the proxy checked above is the proxy libcurl uses.
  curl_easy_setopt(handle_, CURLOPT_PROXY, proxy.c_str());
}

// Called by libcurl for every connection it is about to make, with the address it chose (after
// its own DNS lookup, on every redirect): the one place where "the address checked is the
// address connected to" holds, DNS rebinding included. A refused address gets no socket, so
// nothing is sent to it and its port's state never shows.
curl_socket_t ConnectionGuard::open_socket(void* clientp, curlsocktype, curl_sockaddr* a) {
  auto* guard = static_cast<ConnectionGuard*>(clientp);
  const sockaddr& addr = a->addr;
  bool to_proxy = false;
  for (const auto& p : guard->proxies_) to_proxy = to_proxy || same_endpoint(addr, p);
  if (!to_proxy) {
    if (auto kind = guard->policy_->refusal(addr, guard->host_)) {
      if (!guard->refused_) guard->refused_ = refusal_text(addr, guard->host_, *kind);
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

}  // namespace examq::pipeline
