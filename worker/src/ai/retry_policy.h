#pragma once
// When to try a failed request again: capped exponential backoff with jitter, and the provider's
// own Retry-After when it says so.

#include <chrono>
#include <optional>
#include <string_view>

#include "util/duration.h"

namespace examq::ai {

struct RetryPolicy {
  int max_retries = 4;  // retries of one request after the first attempt
  util::Duration base = std::chrono::seconds(1);
  util::Duration cap = std::chrono::seconds(60);
};

// Delay before retry number `retry` (1 for the first): min(cap, base * 2^(retry-1)) scaled by
// (0.5 + 0.5 * jitter), jitter in [0, 1) ("equal jitter": never less than half the step, so
// concurrent requests that failed together spread out without retrying at once).
util::Duration backoff_delay(const RetryPolicy& policy, int retry, double jitter);

// The delay to use: the backoff, or the provider's Retry-After when that is longer. A
// Retry-After is honoured even beyond the cap (retrying earlier only earns another 429); the
// caller compares the result with its deadline.
util::Duration retry_delay(const RetryPolicy& policy, int retry, std::optional<util::Duration> retry_after,
                           double jitter);

// Parses a Retry-After header value: delay-seconds ("120") or an HTTP date ("Wed, 21 Oct 2015
// 07:28:00 GMT", relative to now; a past date gives 0). nullopt when malformed. Capped at 1 day.
std::optional<util::Duration> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// Parses "retry-after-ms" (OpenAI and compatible servers), milliseconds, possibly fractional.
std::optional<util::Duration> parse_retry_after_ms(std::string_view value);

}  // namespace examq::ai
