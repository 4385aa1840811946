#pragma once
// The webhook signature (docs/notifications.md#verifying-a-webhook): HMAC-SHA256, keyed with
// EXAMQ_WEBHOOK_SECRET, over "<timestamp>.<body>". Signing the timestamp with the body lets a
// receiver reject replays: an old request cannot be given a fresh timestamp without the key.

#include <cstdint>
#include <string>
#include <string_view>

namespace examq::notify {

// Lower-case hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// The X-Examq-Signature header's value: "sha256=" and the hex HMAC of "<timestamp>.<body>".
std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body);

}  // namespace examq::notify
