#pragma once
// Text-only requests to the configured provider (no images), for jobs other than extraction: the
// retag-questions job's topic tagging (retag/ai_tagger.h). The same provider layer as the
// extractor (provider_api.h builds the request and reads the answer, http_transfer.h sends it)
// and the same failure rules: transient failures (5xx, timeouts, connection errors) and rate
// limits are retried with backoff (retry_policy.h) up to EXAMQ_AI_MAX_RETRIES, then end as
// AiError(unavailable) or RateLimited (snooze the job); an unusable answer (not JSON, refused,
// cut off) is asked once more, then ends as AiError(bad_answer); a rejected key, a spent quota,
// a rejected request or a TLS failure end at once. Messages never hold the key.
//
// One request at a time per call, on the calling thread; calls from several threads share the
// worker-wide request limit (EXAMQ_AI_REQUESTS_PER_WORKER) and the provider's Retry-After hold.

#include <chrono>
#include <memory>
#include <stop_token>

#include <tao/json/value.hpp>

#include "ai/ai_config.h"
#include "ai/ai_error.h"
#include "ai/ai_result.h"
#include "ai/provider_api.h"

namespace examq::ai {

class TextClient {
 public:
  using Clock = std::chrono::steady_clock;

  // Validates the configuration (std::invalid_argument) and initialises libcurl.
  explicit TextClient(AiConfig config);
  ~TextClient();
  TextClient(const TextClient&) = delete;
  TextClient& operator=(const TextClient&) = delete;

  const AiConfig& config() const;

  // The model's JSON answer to `input`. Adds the requests, retries and billed tokens to `usage`
  // (whatever the outcome). Ends by `deadline` or now + EXAMQ_AI_JOB_DEADLINE, whichever is
  // earlier. Throws extract::Cancelled once `cancel` is requested between attempts.
  tao::json::value ask(const TextRequestInput& input, AiUsage& usage, std::stop_token cancel,
                       Clock::time_point deadline = Clock::time_point::max()) const;

 private:
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

}  // namespace examq::ai
