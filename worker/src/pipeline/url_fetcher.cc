#include "pipeline/url_fetcher.h"

#include "pipeline/file_url.h"

#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
  UrlHandle u(curl_url(), curl_url_cleanup);
  if (curl_url_set(u.get(), CURLUPART_URL, proxy.c_str(), CURLU_DEFAULT_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return {};
  }
  std::string port = url_part(u.get(), CURLUPART_PORT);
  if (port.empty()) port = lower(url_part(u.get(), CURLUPART_SCHEME)) == "https" ? "443" : "1080";
  return resolve(url_part(u.get(), CURLUPART_HOST), port);
}

// What the socket callback needs to judge a connection of the current request.
struct Guard {
  const AddressPolicy* policy = nullptr;
  std::string host;                        // the current request's host (redirects change it)
  std::vector<sockaddr_storage> proxies;   // the proxy's endpoints when one is configured
  std::optional<std::string> refused;      // the first refusal, for the error message
};

std::string refusal_text(const sockaddr& addr, const std::string& host, const std::string& kind) {
  return "address " + address_text(addr) + " of host " + host + " is not allowed (" + kind +
         "); set EXAMQ_FETCH_ALLOW to permit it";
}

// Called by libcurl for every connection it is about to make, with the address it chose (after
// its own DNS lookup, on every redirect): the one place where "the address checked is the
// address connected to" holds, DNS rebinding included. A refused address gets no socket, so
// nothing is sent to it and its port's state never shows.
curl_socket_t open_socket(void* clientp, curlsocktype, curl_sockaddr* a) {
  auto* guard = static_cast<Guard*>(clientp);
  const sockaddr& addr = a->addr;
  bool to_proxy = false;
  for (const auto& p : guard->proxies) to_proxy = to_proxy || same_endpoint(addr, p);
  if (!to_proxy) {
    if (auto kind = guard->policy->refusal(addr, guard->host)) {
      if (!guard->refused) guard->refused = refusal_text(addr, guard->host, *kind);
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
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
  Guard guard;
  guard.policy = &limits.allow;
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
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &guard);

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
    guard.host = url_part(u.get(), CURLUPART_HOST);
    guard.refused.reset();
    guard.proxies.clear();
    // Through a proxy libcurl connects only to the proxy, which resolves the target itself: the
    // target's addresses are checked as this machine resolves them (docs/url-fetching.md).
    const std::string proxy = proxy_for(hop_scheme);
    if (!proxy.empty()) {
      const auto targets = resolve(guard.host);
      if (targets.empty()) {
        throw FetchError("fetching " + shown + " failed: could not resolve host " + guard.host, true);
      }
      for (const auto& t : targets) {
        const auto& addr = reinterpret_cast<const sockaddr&>(t);
        if (auto kind = limits.allow.refusal(addr, guard.host)) {
          throw FetchError("fetching " + shown + " refused: " + refusal_text(addr, guard.host, *kind), false);
        }
      }
      guard.proxies = proxy_endpoints(proxy);
    }
    // Set explicitly ("" for none) so the proxy checked above is the proxy libcurl uses.
    curl_easy_setopt(h, CURLOPT_PROXY, proxy.c_str());
    curl_easy_setopt(h, CURLOPT_URL, current.c_str());
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long long>(left.count(), 1)));
    body.data.clear();
    error[0] = '\0';

    CURLcode rc = curl_easy_perform(h);
    if (body.too_large || rc == CURLE_FILESIZE_EXCEEDED) throw FetchError(too_large_message(shown, limits.max_bytes), false);
    if (rc != CURLE_OK && guard.refused) throw FetchError("fetching " + shown + " refused: " + *guard.refused, false);
    if (rc != CURLE_OK) {
      std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
      bool transient = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT ||
                       rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_RECV_ERROR ||
                       rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE ||
                       rc == CURLE_SSL_CONNECT_ERROR;
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
