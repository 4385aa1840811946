#include "http/multipart.h"

#include <algorithm>
#include <cctype>

namespace examq::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `key` among "; key=value" / "; key=\"value\"" parameters.
std::string parameter(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = trim(header.substr(pos));
    const std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    if (lower(trim(rest.substr(0, eq))) != key) continue;
    std::string_view value = trim(rest.substr(eq + 1));
    if (!value.empty() && value.front() == '"') {
      std::string out;
      for (std::size_t i = 1; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
          out += value[++i];
        } else if (value[i] == '"') {
          return out;
        } else {
          out += value[i];
        }
      }
      throw std::invalid_argument("unterminated quoted parameter in a part's headers");
    }
    return std::string(value.substr(0, value.find(';')));
  }
  return {};
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  const std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") throw std::invalid_argument("the body must be multipart/form-data");
  std::string b = parameter(content_type, "boundary");
  if (b.empty() || b.size() > 70) throw std::invalid_argument("multipart/form-data without a valid boundary");
  return b;
}

std::vector<FormPart> parse_multipart(std::string_view body, const std::string& boundary, std::size_t max_parts) {
  const std::string delimiter = "--" + boundary;
  std::vector<FormPart> parts;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) throw std::invalid_argument("the multipart body has no boundary line");
  pos += delimiter.size();
  for (;;) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") throw std::invalid_argument("malformed multipart boundary line");
    pos += 2;
    const std::size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos || headers_end - pos > 8192) throw std::invalid_argument("malformed multipart part headers");
    FormPart part;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      const std::size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) throw std::invalid_argument("malformed multipart part header");
      const std::string name = lower(trim(line.substr(0, colon)));
      std::string_view value = trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        if (lower(trim(value.substr(0, value.find(';')))) != "form-data") throw std::invalid_argument("a part is not form-data");
        part.name = parameter(value, "name");
        part.filename = parameter(value, "filename");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (part.name.empty()) throw std::invalid_argument("a multipart part has no name");
    pos = headers_end + 4;
    const std::size_t end = body.find("\r\n" + delimiter, pos);
    if (end == std::string_view::npos) throw std::invalid_argument("the multipart body is truncated");
    part.body = std::string(body.substr(pos, end - pos));
    parts.push_back(std::move(part));
    if (parts.size() > max_parts) throw std::invalid_argument("too many parts in the multipart body");
    pos = end + 2 + delimiter.size();
  }
}

}  // namespace examq::http
