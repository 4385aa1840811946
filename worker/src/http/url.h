#pragma once
// Splitting and decoding a request target ("/api/jobs?status=failed&limit=10").

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace examq::http {

// Percent-decodes once ('+' is a space only when plus_is_space). nullopt on a bad escape or an
// encoded NUL, so a malformed target is refused rather than guessed at.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};

// nullopt when the target is not an origin-form path or any part fails to decode.
std::optional<Target> parse_target(std::string_view target);

}  // namespace examq::http
