#pragma once
// Durations as people write them on a command line or in an environment variable.

#include <chrono>
#include <string>
#include <string_view>

namespace examq::util {

using Duration = std::chrono::microseconds;

// Parses a non-negative duration with a unit: "250us", "500ms", "5s", "2m", "1h", and decimals
// such as "1.5s". A unit is required (a bare "5" is ambiguous), except for "0".
// Throws std::invalid_argument naming the text and the accepted units.
Duration parse_duration(std::string_view text);

// The shortest exact rendering that parse_duration reads back: "500ms", "5s", "2m", "1500us".
std::string format_duration(Duration d);

// A PostgreSQL interval literal for d, exact to the microsecond ("1500000 microseconds"),
// for passing as a text parameter cast to interval.
std::string to_pg_interval(Duration d);

}  // namespace examq::util
