#include "pg/array.h"

#include <stdexcept>

namespace examq::pg {
namespace {

template <class S>
std::string encode(const std::vector<S>& elements) {
  std::size_t size = 2;
  for (const auto& e : elements) size += e.size() + 3;
  std::string out;
  out.reserve(size + size / 8);
  out += '{';
  bool first = true;
  for (const auto& e : elements) {
    if (!first) out += ',';
    first = false;
    out += '"';
    for (char c : e) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

std::string array_literal(const std::vector<std::string>& elements) { return encode(elements); }
std::string array_literal(const std::vector<std::string_view>& elements) { return encode(elements); }

std::vector<std::string> parse_array_literal(std::string_view s) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') {
    throw std::invalid_argument("not an array literal: " + std::string(s));
  }
  std::vector<std::string> out;
  std::size_t i = 1, end = s.size() - 1;
  if (i == end) return out;
  while (i <= end) {
    std::string element;
    if (s[i] == '"') {
      ++i;
      while (i < end && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < end) ++i;
        element += s[i++];
      }
      if (i >= end) throw std::invalid_argument("unterminated quoted element in " + std::string(s));
      ++i;  // closing quote
    } else {
      std::size_t start = i;
      while (i < end && s[i] != ',') ++i;
      element.assign(s.substr(start, i - start));
      if (element == "NULL") element.clear();
    }
    out.push_back(std::move(element));
    if (i == end) break;
    if (s[i] != ',') throw std::invalid_argument("malformed array literal: " + std::string(s));
    ++i;
  }
  return out;
}

}  // namespace examq::pg
