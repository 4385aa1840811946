#pragma once
// Decoding the seed's pre-rendered page images ("base64Images": plain base64 or data: URLs).

#include <optional>
#include <string>
#include <string_view>

namespace examq::pipeline {

// The bytes of standard base64 (RFC 4648, padding optional, whitespace ignored), after an
// optional "data:<type>;base64," prefix. nullopt when the text is not base64.
std::optional<std::string> decode_base64_image(std::string_view text);

// "jpeg", "png" or "" from the image's magic bytes.
std::string_view image_format(std::string_view bytes);

}  // namespace examq::pipeline
