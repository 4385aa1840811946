#include "ai/ai_extractor.h"

#include "ai/batch_runner.h"
#include "ai/http_transfer.h"
#include "ai/redact.h"
#include "util/log.h"

namespace examq::ai {

using util::LogField;

struct AiExtractor::Shared {
  explicit Shared(AiConfig c)
      : config(std::move(c)),
        api(make_provider_api(config)),
        limiter(config.requests_per_worker),
        multis(static_cast<std::size_t>(config.requests_per_worker)),
        cache(static_cast<std::size_t>(config.answer_cache_entries)) {}

  AiConfig config;
  std::unique_ptr<ProviderApi> api;
  RequestLimiter limiter;
  MultiPool multis;
  AnswerCache cache;
};

namespace {

AiConfig validated(AiConfig config) {
  validate(config);
  return config;
}

void check_pages(const std::vector<PageImage>& pages) {
  int previous = 0;
  for (const PageImage& p : pages) {
    if (p.page_number <= previous) {
      throw AiError(AiErrorKind::request_rejected, "pages must be given in increasing page order without repeats (page " +
                                                       std::to_string(p.page_number) + " after " + std::to_string(previous) + ")");
    }
    if (p.jpeg.empty()) {
      throw AiError(AiErrorKind::request_rejected, "page " + std::to_string(p.page_number) + " has no rendered image");
    }
    previous = p.page_number;
  }
}

}  // namespace

AiExtractor::AiExtractor(AiConfig config) : shared_(std::make_unique<Shared>(validated(std::move(config)))) {
  ensure_curl_initialised();
  const AiConfig& c = shared_->config;
  util::log_event(spdlog::level::info, "ai.extractor.ready",
                  {LogField("provider", provider_name(c.provider)), LogField("model", c.model),
                   LogField("endpoint", shared_->api->endpoint()),
                   LogField("key_from", c.api_key_source.empty() ? std::string("none") : c.api_key_source),
                   LogField("pages_per_request", c.pages_per_request), LogField("requests_per_job", c.requests_per_job),
                   LogField("requests_per_worker", c.requests_per_worker),
                   LogField("context_tokens", c.context_tokens ? std::to_string(*c.context_tokens) : std::string("unset"))});
}

AiExtractor::~AiExtractor() = default;

std::string_view AiExtractor::name() const { return provider_name(shared_->config.provider); }

const AiConfig& AiExtractor::config() const { return shared_->config; }

int AiExtractor::peak_requests_in_flight() const { return shared_->limiter.peak(); }

AiResult AiExtractor::extract(const std::vector<PageImage>& pages, const std::vector<Topic>& topics,
                              const extract::ProgressFn& progress, std::stop_token cancel,
                              Clock::time_point deadline) const {
  const AiConfig& c = shared_->config;
  check_pages(pages);
  RunnerShared shared{c, *shared_->api, shared_->limiter, shared_->multis, shared_->cache};
  try {
    AiResult result = run_batches(shared, pages, topics, progress, std::move(cancel), deadline);
    const AiUsage& u = result.usage;
    util::log_event(spdlog::level::info, "ai.extract.done",
                    {LogField("provider", u.provider), LogField("model", u.model), LogField("pages", u.pages),
                     LogField("questions", result.questions.size()), LogField("requests", u.requests),
                     LogField("retries", u.retries), LogField("cached_batches", u.cached_batches),
                     LogField("input_tokens", u.input_tokens), LogField("output_tokens", u.output_tokens),
                     LogField("latency_ms", u.latency_ms)});
    return result;
  } catch (const AiError& e) {
    util::log_event(e.transient() ? spdlog::level::warn : spdlog::level::err, "ai.extract.failed",
                    {LogField("provider", provider_name(c.provider)), LogField("kind", kind_name(e.kind())),
                     LogField("transient", e.transient()), LogField("error", redact(e.what(), c.api_key, 500))});
    throw;
  }
}

std::unique_ptr<AiExtractor> make_ai_extractor(const AiConfig& config) { return std::make_unique<AiExtractor>(config); }

}  // namespace examq::ai
