#pragma once
// The AI extraction backends ("openai", "anthropic"): a paper's page images go to a vision model,
// which returns its questions as JSON. Unlike the "text" backend it reads images, not a text
// layer, so it has its own entry point rather than extract::Extractor's.
//
// Usage (one extractor per worker process, shared by every job: it owns the worker-wide request
// limit, the kept-alive connections and the answer cache):
//   std::optional<AiConfig> config = ai_config_from_env();   // nullopt: EXAMQ_EXTRACTOR=text
//   std::unique_ptr<AiExtractor> ai = make_ai_extractor(*config);
//   ...per job...
//   try {
//     AiResult r = ai->extract(pages, topics, progress, stop_token, ctx.deadline());
//   } catch (const RateLimited& e) {     // snooze the job for e.retry_after()
//   } catch (const extract::ExtractError& e) {  // fail; critical when !e.transient()
//   } catch (const extract::Cancelled&) {}

#include <chrono>
#include <memory>
#include <stop_token>
#include <string_view>
#include <vector>

#include "ai/ai_config.h"
#include "ai/ai_error.h"
#include "ai/ai_input.h"
#include "ai/ai_result.h"
#include "extract/extractor.h"

namespace examq::ai {

class AiExtractor {
 public:
  using Clock = std::chrono::steady_clock;

  // Validates the configuration (std::invalid_argument, see ai_config.h) and initialises libcurl.
  explicit AiExtractor(AiConfig config);
  ~AiExtractor();
  AiExtractor(const AiExtractor&) = delete;
  AiExtractor& operator=(const AiExtractor&) = delete;

  // "openai" or "anthropic": the extractor's name in the job's result. Its questions' source is
  // "ai" either way.
  std::string_view name() const;
  const AiConfig& config() const;

  // Reads `pages` (page order, distinct page numbers, each with its JPEG) in batches of
  // config().pages_per_request overlapping by one page, up to requests_per_job requests at once
  // and requests_per_worker across all concurrent calls, and returns the merged questions
  // (positions 1..n) tagged with ids of `topics` (none when `topics` is empty), and the usage.
  // An empty `pages` gives an empty result without any request.
  //
  // `progress` (may be empty) is called on this thread after each batch with the number of
  // distinct pages read so far. If it throws (a JobContext reporting cancellation, say), the
  // call ends at once, its requests are abandoned and the exception propagates unchanged. The call ends by `deadline` or now + config().job_deadline,
  // whichever is earlier. Thread-safe: concurrent calls share only the limits, the connections
  // and the answer cache.
  //
  // Throws:
  //  - extract::Cancelled once `cancel` is requested (requests in flight are abandoned);
  //  - RateLimited: 429/529 persisted beyond the retries or the deadline: snooze the job;
  //  - AiError: kind() says why; transient() for unavailable (5xx, timeouts, connection errors
  //    beyond the retries) and deadline, not for a rejected key, a spent quota, a rejected
  //    request, a TLS failure or an answer that was unusable twice (not JSON, invalid, refused,
  //    cut off by the token limit). Messages name the provider, the HTTP status and the pages,
  //    never the key. When a transient failure ends the call, requests already in flight are
  //    first allowed to finish so their answers are cached for the retry.
  AiResult extract(const std::vector<PageImage>& pages, const std::vector<Topic>& topics,
                   const extract::ProgressFn& progress, std::stop_token cancel,
                   Clock::time_point deadline = Clock::time_point::max()) const;

  // The most requests this extractor ever had in flight at once (tests, metrics).
  int peak_requests_in_flight() const;

 private:
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

// Same as constructing one; for callers that hold it behind a pointer.
std::unique_ptr<AiExtractor> make_ai_extractor(const AiConfig& config);

}  // namespace examq::ai
