#pragma once
// One extract() call: sends the batches concurrently on one libcurl multi handle, retries what a
// retry can fix, and turns the rest into the errors ai_extractor.h documents. Everything runs on
// the calling thread; the multi handle's poll is woken by cancellation and by other jobs freeing
// worker-wide request slots. When the prompt's stable prefix reaches the model's prompt cache
// minimum and cache_warmup is on, the first request is sent alone and the others once it has
// answered, so that they read the prefix it wrote to the provider's cache (AiUsage::warmup_ms).

#include <chrono>
#include <stop_token>
#include <vector>

#include "ai/ai_config.h"
#include "ai/ai_input.h"
#include "ai/ai_result.h"
#include "ai/answer_cache.h"
#include "ai/multi_pool.h"
#include "ai/provider_api.h"
#include "ai/request_limiter.h"
#include "extract/extractor.h"

namespace examq::ai {

// What the calls of one AiExtractor share.
struct RunnerShared {
  const AiConfig& config;
  const ProviderApi& api;
  RequestLimiter& limiter;
  MultiPool& multis;
  AnswerCache& cache;
};

// Runs the whole call; see AiExtractor::extract for the contract. `deadline` is the caller's;
// the job deadline from the configuration is applied here.
AiResult run_batches(const RunnerShared& shared, const std::vector<PageImage>& pages,
                     const std::vector<Topic>& topics, const extract::ProgressFn& progress,
                     std::stop_token cancel, std::chrono::steady_clock::time_point deadline);

}  // namespace examq::ai
