#pragma once
// Keeps secrets out of messages. Provider error messages end up in logs and in the job's
// error_message, and some echo part of the key back ("Incorrect API key provided: sk-...").

#include <string>
#include <string_view>

namespace examq::ai {

// `text` made safe to show: every occurrence of `secret` (when non-empty) and every token that
// looks like an API key (starting "sk-" or "sk_", 8+ characters) replaced by "[redacted]";
// control characters turned into spaces; cut to max_chars (with "..." appended).
std::string redact(std::string_view text, std::string_view secret, std::size_t max_chars = 300);

}  // namespace examq::ai
