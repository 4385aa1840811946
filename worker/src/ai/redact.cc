#include "ai/redact.h"

namespace examq::ai {
namespace {

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '*' || c == '.';
}

}  // namespace

std::string redact(std::string_view text, std::string_view secret, std::size_t max_chars) {
  std::string out;
  out.reserve(std::min(text.size(), max_chars) + 16);
  std::size_t i = 0;
  while (i < text.size()) {
    if (!secret.empty() && text.substr(i, secret.size()) == secret) {
      out += "[redacted]";
      i += secret.size();
      continue;
    }
    bool at_token_start = i == 0 || !key_char(text[i - 1]);
    if (at_token_start && (text.substr(i, 3) == "sk-" || text.substr(i, 3) == "sk_")) {
      std::size_t end = i;
      while (end < text.size() && key_char(text[end])) ++end;
      if (end - i >= 8) {
        out += "[redacted]";
        i = end;
        continue;
      }
    }
    char c = text[i++];
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  }
  if (out.size() > max_chars) {
    out.resize(max_chars);
    // Do not leave half of a UTF-8 sequence at the end.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "...";
  }
  return out;
}

}  // namespace examq::ai
