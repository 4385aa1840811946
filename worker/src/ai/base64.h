#pragma once
// Standard base64 (RFC 4648, with padding), for images inside JSON request bodies.

#include <string>
#include <string_view>

namespace examq::ai {

// Appends the encoding of `bytes` to `out` (avoids a copy of multi-megabyte images).
void append_base64(std::string& out, std::string_view bytes);

std::string base64_encode(std::string_view bytes);

}  // namespace examq::ai
