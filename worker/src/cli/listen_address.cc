#include "cli/listen_address.h"

#include <stdexcept>

namespace examq::cli {

ListenAddress parse_listen_address(const std::string& s, const std::string& option) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument(option + " must be HOST:PORT, e.g. 127.0.0.1:8080");
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) throw std::invalid_argument(option + ": bad port in " + s);
  return {host, static_cast<unsigned short>(port)};
}

bool is_loopback(const std::string& host) { return host == "::1" || host.rfind("127.", 0) == 0; }

}  // namespace examq::cli
