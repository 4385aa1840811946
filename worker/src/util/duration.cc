#include "util/duration.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace examq::util {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t micros;
};

// Longest suffixes first so "ms" is not read as "m" followed by junk.
constexpr Unit kUnits[] = {
    {"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {"h", 3600000000},
};

[[noreturn]] void reject(std::string_view text, std::string_view why) {
  throw std::invalid_argument("invalid duration \"" + std::string(text) + "\": " + std::string(why) +
                              " (use a number and a unit: us, ms, s, m, h, e.g. 500ms, 5s, 2m)");
}

}  // namespace

Duration parse_duration(std::string_view text) {
  if (text == "0") return Duration::zero();
  std::size_t end = 0;
  while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) ++end;
  if (end == 0) reject(text, "it does not start with a number");
  std::string_view number = text.substr(0, end);
  std::string_view suffix = text.substr(end);
  if (suffix.empty()) reject(text, "the unit is missing");

  const Unit* unit = nullptr;
  for (const Unit& u : kUnits) {
    if (suffix == u.suffix) unit = &u;
  }
  if (unit == nullptr) reject(text, "unknown unit \"" + std::string(suffix) + "\"");

  double value = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size()) reject(text, "the number is malformed");
  double micros = value * static_cast<double>(unit->micros);
  if (!std::isfinite(micros) || micros > 1e17) reject(text, "it is too large");
  return Duration(static_cast<std::int64_t>(std::llround(micros)));
}

std::string format_duration(Duration d) {
  std::int64_t us = d.count();
  if (us == 0) return "0";
  for (auto it = std::rbegin(kUnits); it != std::rend(kUnits); ++it) {
    if (us % it->micros == 0) return std::to_string(us / it->micros) + std::string(it->suffix);
  }
  return std::to_string(us) + "us";
}

std::string to_pg_interval(Duration d) { return std::to_string(d.count()) + " microseconds"; }

}  // namespace examq::util
