#include "ai/retry_policy.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace examq::ai {
namespace {

constexpr util::Duration kMaxRetryAfter = std::chrono::hours(24);

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

}  // namespace

util::Duration backoff_delay(const RetryPolicy& policy, int retry, double jitter) {
  jitter = std::clamp(jitter, 0.0, 1.0);
  const double cap = static_cast<double>(policy.cap.count());
  double step = static_cast<double>(policy.base.count()) * std::pow(2.0, std::max(0, retry - 1));
  step = std::min(step, cap);
  return util::Duration(static_cast<std::int64_t>(step * (0.5 + 0.5 * jitter)));
}

util::Duration retry_delay(const RetryPolicy& policy, int retry, std::optional<util::Duration> retry_after,
                           double jitter) {
  util::Duration d = backoff_delay(policy, retry, jitter);
  if (retry_after && *retry_after > d) d = *retry_after;
  return d;
}

std::optional<util::Duration> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) return kMaxRetryAfter;
    if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
    return std::min<util::Duration>(std::chrono::seconds(seconds), kMaxRetryAfter);
  }
  std::string date(value);
  time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  auto delta = std::chrono::system_clock::from_time_t(when) - now;
  if (delta <= decltype(delta)::zero()) return util::Duration::zero();
  return std::min<util::Duration>(std::chrono::duration_cast<util::Duration>(delta), kMaxRetryAfter);
}

std::optional<util::Duration> parse_retry_after_ms(std::string_view value) {
  value = trim(value);
  double ms = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || !std::isfinite(ms) || ms < 0) {
    return std::nullopt;
  }
  double us = std::min(ms * 1000.0, static_cast<double>(kMaxRetryAfter.count()));
  return util::Duration(static_cast<std::int64_t>(us));
}

}  // namespace examq::ai
