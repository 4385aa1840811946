#pragma once
// multipart/form-data (RFC 7578) bodies, as browsers and curl -F send them: the upload route's
// files and fields. Bounded: at most max_parts parts, headers of a part at most 8 kB.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace examq::http {

struct FormPart {
  std::string name;          // the form field's name
  std::string filename;      // empty for a plain field
  std::string content_type;  // as sent, may be empty
  std::string body;
};

// The boundary of a "multipart/form-data; boundary=..." Content-Type; throws
// std::invalid_argument when it is another type or has no usable boundary.
std::string multipart_boundary(std::string_view content_type);

// Splits body into its parts; throws std::invalid_argument naming what is malformed.
std::vector<FormPart> parse_multipart(std::string_view body, const std::string& boundary, std::size_t max_parts = 64);

}  // namespace examq::http
