#pragma once
// Reading UTF-8 one code point at a time, strictly: for text that came from outside (a
// database row, a PDF) and must be shown or stored only if it really is UTF-8.

#include <cstddef>
#include <string>
#include <string_view>

namespace examq::util {

// The length of the valid UTF-8 sequence at text[i] (1 to 4) with its code point, or 0 when
// there is none there: overlong forms, surrogates and code points above U+10FFFF are not valid.
std::size_t utf8_sequence(std::string_view text, std::size_t i, char32_t& code_point);

// `code_point` (at most U+10FFFF) appended to `out` as UTF-8.
void append_utf8(std::string& out, char32_t code_point);

}  // namespace examq::util
