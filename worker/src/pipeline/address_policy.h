#pragma once
// Which addresses a paper's http(s) file_url may reach (issue 14, finding 5). A URL on a paper row
// is written by whoever submits papers; without this it could make the worker fetch from
// itself (127.0.0.1), its network (10.x, a database's admin port) or the cloud's metadata
// service (169.254.169.254), and the job's error would tell open ports from closed ones.
// Public addresses are allowed; the operator may add host names and networks
// (EXAMQ_FETCH_ALLOW). See docs/url-fetching.md.

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace examq::pipeline {

// Why `addr` is not a public unicast address: "loopback", "private", "link-local", "multicast",
// "unspecified", "shared (CGNAT)", "reserved" or "documentation"; nullopt for a public one.
// IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) IPv6 addresses are
// judged by the IPv4 address they carry. Families other than IPv4/IPv6 are "reserved".
std::optional<std::string> special_address_kind(const sockaddr& addr);

// The address as text ("127.0.0.1", "::1"), without the port.
std::string address_text(const sockaddr& addr);

class AddressPolicy {
 public:
  // Public addresses only.
  AddressPolicy() = default;

  // EXAMQ_FETCH_ALLOW: comma-separated host names (every address they resolve to is allowed,
  // case-insensitive, a trailing dot ignored) and networks in CIDR notation (10.0.0.0/8,
  // fd00::/8; a bare address is a /32 or /128). Throws std::invalid_argument for an entry that
  // is neither, or a network with host bits set.
  static AddressPolicy parse(std::string_view list);

  bool allows_host(std::string_view host) const;

  // Why `addr`, an address of `host`, may not be connected to ("loopback", ...), or nullopt
  // when it may: public, or allowed by host name or network.
  std::optional<std::string> refusal(const sockaddr& addr, std::string_view host) const;

 private:
  struct Network {
    int family = 0;  // AF_INET or AF_INET6
    std::array<std::uint8_t, 16> bytes{};
    int prefix = 0;
  };
  bool allows_address(const sockaddr& addr) const;

  std::vector<std::string> hosts_;  // lower case, no trailing dot
  std::vector<Network> networks_;
};

}  // namespace examq::pipeline
