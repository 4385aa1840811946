#include "pipeline/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace examq::pipeline {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

// Whether the first `prefix` bits of a and b agree.
bool same_prefix(const std::uint8_t* a, const std::uint8_t* b, int prefix) {
  int whole = prefix / 8;
  if (std::memcmp(a, b, static_cast<std::size_t>(whole)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

struct Range {
  std::array<std::uint8_t, 4> net;
  int prefix;
  const char* kind;
};

// IANA's IPv4 special-purpose registry, reduced to what a fetch must not reach. Order matters
// only for overlaps (none here).
constexpr Range kIpv4[] = {
    {{0, 0, 0, 0}, 8, "unspecified"},        // "this network"; 0.0.0.0 reaches the local host
    {{10, 0, 0, 0}, 8, "private"},
    {{100, 64, 0, 0}, 10, "shared (CGNAT)"},
    {{127, 0, 0, 0}, 8, "loopback"},
    {{169, 254, 0, 0}, 16, "link-local"},    // cloud metadata services live here
    {{172, 16, 0, 0}, 12, "private"},
    {{192, 0, 0, 0}, 24, "reserved"},        // IETF protocol assignments
    {{192, 0, 2, 0}, 24, "documentation"},
    {{192, 88, 99, 0}, 24, "reserved"},      // 6to4 relay anycast
    {{192, 168, 0, 0}, 16, "private"},
    {{198, 18, 0, 0}, 15, "reserved"},       // benchmarking
    {{198, 51, 100, 0}, 24, "documentation"},
    {{203, 0, 113, 0}, 24, "documentation"},
    {{224, 0, 0, 0}, 4, "multicast"},
    {{240, 0, 0, 0}, 4, "reserved"},         // includes 255.255.255.255
};

std::optional<std::string> ipv4_kind(const std::uint8_t* a) {
  for (const Range& r : kIpv4) {
    if (same_prefix(a, r.net.data(), r.prefix)) return std::string(r.kind);
  }
  return std::nullopt;
}

std::optional<std::string> ipv6_kind(const std::uint8_t* a) {
  static const Bytes zero{};
  static const Bytes loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const Bytes mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const Bytes nat64{0, 0x64, 0xff, 0x9b};
  static const Bytes sixto4{0x20, 0x02};
  static const Bytes documentation{0x20, 0x01, 0x0d, 0xb8};
  static const Bytes discard{0x01, 0x00};
  if (std::memcmp(a, zero.data(), 16) == 0) return "unspecified";
  if (std::memcmp(a, loopback.data(), 16) == 0) return "loopback";
  // Forms that carry an IPv4 address reach that address: judge it.
  if (same_prefix(a, mapped.data(), 96)) return ipv4_kind(a + 12);
  if (same_prefix(a, zero.data(), 96)) return ipv4_kind(a + 12).value_or("reserved");  // IPv4-compatible
  if (same_prefix(a, nat64.data(), 96)) return ipv4_kind(a + 12);
  if (same_prefix(a, sixto4.data(), 16)) return ipv4_kind(a + 2);
  if ((a[0] & 0xfe) == 0xfc) return "private";                       // fc00::/7 unique local
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return "link-local";    // fe80::/10
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return "private";       // fec0::/10, old site-local
  if (a[0] == 0xff) return "multicast";
  if (same_prefix(a, documentation.data(), 32)) return "documentation";
  if (same_prefix(a, discard.data(), 64)) return "reserved";
  return std::nullopt;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_host_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

std::optional<std::string> special_address_kind(const sockaddr& addr) {
  if (addr.sa_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    return ipv4_kind(reinterpret_cast<const std::uint8_t*>(&in.sin_addr));
  }
  if (addr.sa_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    return ipv6_kind(in6.sin6_addr.s6_addr);
  }
  return "reserved";
}

std::string address_text(const sockaddr& addr) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, buf, sizeof buf);
  } else if (addr.sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, buf, sizeof buf);
  } else {
    return "(address family " + std::to_string(addr.sa_family) + ")";
  }
  return buf;
}

AddressPolicy AddressPolicy::parse(std::string_view list) {
  AddressPolicy policy;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view entry = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    auto bad = [&](const std::string& why) {
      return std::invalid_argument("EXAMQ_FETCH_ALLOW: \"" + std::string(entry) + "\": " + why);
    };
    const auto slash = entry.find('/');
    const std::string address(entry.substr(0, slash));
    Network n;
    if (::inet_pton(AF_INET, address.c_str(), n.bytes.data()) == 1) {
      n.family = AF_INET;
    } else if (::inet_pton(AF_INET6, address.c_str(), n.bytes.data()) == 1) {
      n.family = AF_INET6;
    } else if (slash == std::string_view::npos && is_host_name(entry) &&
               !std::all_of(entry.begin(), entry.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; })) {
      std::string host = lower(entry);
      if (host.back() == '.') host.pop_back();
      policy.hosts_.push_back(std::move(host));
      continue;
    } else {
      throw bad("expected a host name or a network such as 10.0.0.0/8 or fd00::/8");
    }
    const int max = n.family == AF_INET ? 32 : 128;
    n.prefix = max;
    if (slash != std::string_view::npos) {
      std::string_view bits = entry.substr(slash + 1);
      auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n.prefix);
      if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || n.prefix < 0 || n.prefix > max) {
        throw bad("the prefix length must be a number from 0 to " + std::to_string(max));
      }
    }
    // 10.0.0.1/8 is more likely a typo than a network: refuse host bits.
    Bytes masked{};
    std::copy(n.bytes.begin(), n.bytes.end(), masked.begin());
    for (int bit = n.prefix; bit < max; ++bit) masked[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
    if (masked != n.bytes) throw bad("host bits are set after the prefix length");
    policy.networks_.push_back(n);
  }
  return policy;
}

bool AddressPolicy::allows_host(std::string_view host) const {
  std::string h = lower(host);
  if (!h.empty() && h.back() == '.') h.pop_back();
  return std::find(hosts_.begin(), hosts_.end(), h) != hosts_.end();
}

bool AddressPolicy::allows_address(const sockaddr& addr) const {
  const std::uint8_t* bytes = nullptr;
  if (addr.sa_family == AF_INET) {
    bytes = reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in&>(addr).sin_addr);
  } else if (addr.sa_family == AF_INET6) {
    bytes = reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr.s6_addr;
  } else {
    return false;
  }
  // ::ffff:127.0.0.1 is 127.0.0.1: an IPv4 network allows it too.
  static const Bytes mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const bool is_mapped = addr.sa_family == AF_INET6 && same_prefix(bytes, mapped.data(), 96);
  return std::any_of(networks_.begin(), networks_.end(), [&](const Network& n) {
    if (n.family == addr.sa_family && same_prefix(bytes, n.bytes.data(), n.prefix)) return true;
    return is_mapped && n.family == AF_INET && same_prefix(bytes + 12, n.bytes.data(), n.prefix);
  });
}

std::optional<std::string> AddressPolicy::refusal(const sockaddr& addr, std::string_view host) const {
  auto kind = special_address_kind(addr);
  if (!kind) return std::nullopt;
  if (allows_host(host) || allows_address(addr)) return std::nullopt;
  return kind;
}

}  // namespace examq::pipeline
