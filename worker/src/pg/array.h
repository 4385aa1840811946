#pragma once
// PostgreSQL array literals for passing lists as one text parameter ($1::uuid[], $1::jsonb[]).

#include <string>
#include <string_view>
#include <vector>

namespace examq::pg {

// '{"a","b\"c"}': every element double-quoted with " and \ escaped, so any text (json documents,
// names with commas or braces) round-trips. An empty list gives '{}'.
std::string array_literal(const std::vector<std::string>& elements);
std::string array_literal(const std::vector<std::string_view>& elements);

// Parses a one-dimensional text array as PostgreSQL prints it ('{a,"b c",NULL}'); NULL
// elements come back as empty strings. Throws std::invalid_argument on malformed input.
std::vector<std::string> parse_array_literal(std::string_view literal);

}  // namespace examq::pg
