#pragma once
// How an AI extraction fails. Every failure is an extract::ExtractError, so a caller that only
// knows the extractor interface still gets transient() right; the kind lets the job handler say
// more (error_details) and RateLimited tells it to snooze the job instead of failing it.

#include <string>
#include <string_view>

#include <tao/json/value.hpp>

#include "extract/extractor.h"
#include "util/duration.h"

namespace examq::ai {

enum class AiErrorKind {
  key_rejected,     // 401/403: the key is wrong, revoked or lacks access. Not transient.
  quota_exhausted,  // OpenAI insufficient_quota, Anthropic billing / spend limit. Not transient.
  request_rejected, // another 4xx (unknown model, image too large, bad base URL...). Not transient.
  bad_answer,       // invalid JSON / failed validation / refusal / cut off, twice. Not transient.
  tls,              // the server's certificate could not be verified. Not transient.
  unavailable,      // 5xx, timeouts, connection errors beyond the retries. Transient.
  deadline,         // the job's deadline passed before every page was read. Transient.
  rate_limited,     // 429/529 beyond the job's budget: see RateLimited. Transient.
  bad_image,        // a page image past the provider's limits could not be shrunk (image_fit.h). Not transient.
};

// "key_rejected", "quota_exhausted", ... for error_details.
std::string_view kind_name(AiErrorKind kind);

class AiError : public extract::ExtractError {
 public:
  AiError(AiErrorKind kind, const std::string& what)
      : extract::ExtractError(what, is_transient(kind)), kind_(kind) {}
  AiErrorKind kind() const { return kind_; }
  // What the call had spent when it failed (ai_result.h's to_json(AiUsage)), set by the batch
  // runner on its way out; null otherwise. Billed failures are then visible in error_details.
  const tao::json::value& usage() const { return usage_; }
  void set_usage(tao::json::value usage) { usage_ = std::move(usage); }

  static bool is_transient(AiErrorKind kind) {
    return kind == AiErrorKind::unavailable || kind == AiErrorKind::deadline || kind == AiErrorKind::rate_limited;
  }

 private:
  AiErrorKind kind_;
  tao::json::value usage_ = tao::json::null;
};

// The provider kept rate-limiting (429) or was overloaded (529) past the job's retry budget or
// deadline. The job should be snoozed (snooze_processing_job) for retry_after, which does not
// use up one of its retries. retry_after is at least 1 s and honours the provider's Retry-After.
class RateLimited : public AiError {
 public:
  RateLimited(const std::string& what, util::Duration retry_after)
      : AiError(AiErrorKind::rate_limited, what), retry_after_(retry_after) {}
  util::Duration retry_after() const { return retry_after_; }

 private:
  util::Duration retry_after_;
};

}  // namespace examq::ai
