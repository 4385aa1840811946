#include "pipeline/bytea.h"

#include <stdexcept>

namespace examq::pipeline {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_bytea_hex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(2 + raw.size() * 2);
  out[0] = '\\';
  out[1] = 'x';
  std::size_t i = 2;
  for (unsigned char c : raw) {
    out[i++] = kDigits[c >> 4];
    out[i++] = kDigits[c & 0xf];
  }
  return out;
}

std::string from_bytea_hex(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    throw std::invalid_argument("bytea value is not in hex format");
  }
  std::string out;
  out.resize((text.size() - 2) / 2);
  for (std::size_t i = 2, o = 0; i < text.size(); i += 2, ++o) {
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) throw std::invalid_argument("bytea value has a non-hex digit");
    out[o] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace examq::pipeline
