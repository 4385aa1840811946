#pragma once
// HOST:PORT as `serve --listen` and `worker --metrics-listen` take it.

#include <string>

namespace examq::cli {

struct ListenAddress {
  std::string host;  // "0.0.0.0" for ":PORT"; IPv6 without its brackets
  unsigned short port = 0;
};

// "127.0.0.1:8080", "[::1]:8080", ":8080" (all IPv4 interfaces). `option` names the flag in the
// std::invalid_argument thrown for anything else.
ListenAddress parse_listen_address(const std::string& text, const std::string& option);

// 127.0.0.0/8 or ::1.
bool is_loopback(const std::string& host);

}  // namespace examq::cli
