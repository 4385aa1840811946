#include "ai/text_client.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "ai/http_transfer.h"
#include "ai/redact.h"
#include "ai/request_limiter.h"
#include "ai/retry_policy.h"
#include "ai/streaming.h"
#include "util/log.h"

namespace examq::ai {

using util::Duration;
using util::LogField;

struct TextClient::Shared {
  explicit Shared(AiConfig c) : config(std::move(c)), api(make_provider_api(config)), limiter(config.requests_per_worker) {}
  AiConfig config;
  std::unique_ptr<ProviderApi> api;
  RequestLimiter limiter;
};

namespace {

AiConfig validated(AiConfig config) {
  validate(config);
  return config;
}

double jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

bool permanent_tls(CURLcode code) {
  return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_CERTPROBLEM ||
         code == CURLE_SSL_CIPHER || code == CURLE_SSL_ISSUER_ERROR || code == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
         code == CURLE_SSL_INVALIDCERTSTATUS || code == CURLE_SSL_CRL_BADFILE;
}

// Sleeps until `until`, or returns early (false) when cancelled.
bool sleep_until(std::chrono::steady_clock::time_point until, std::stop_token cancel) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  return !cv.wait_until(lock, cancel, until, [] { return false; }) && !cancel.stop_requested();
}

}  // namespace

TextClient::TextClient(AiConfig config) : shared_(std::make_unique<Shared>(validated(std::move(config)))) {
  ensure_curl_initialised();
}

TextClient::~TextClient() = default;

const AiConfig& TextClient::config() const { return shared_->config; }

tao::json::value TextClient::ask(const TextRequestInput& input, AiUsage& usage, std::stop_token cancel,
                                 Clock::time_point caller_deadline) const {
  const AiConfig& config = shared_->config;
  const ProviderApi& api = *shared_->api;
  const std::string provider(provider_name(config.provider));
  const Clock::time_point started = Clock::now();
  const Clock::time_point deadline = std::min(started + config.job_deadline, caller_deadline);
  const RetryPolicy policy{config.max_retries, config.retry_base_delay, config.retry_max_delay};
  const HttpRequest request = api.build_text_request(input);
  int transient_retries = 0;
  int content_retries = 0;
  bool first = true;

  while (true) {
    if (cancel.stop_requested()) throw extract::Cancelled();
    Clock::time_point now = Clock::now();
    // Another job's Retry-After holds the worker's requests; a slot bounds them.
    const Clock::time_point held = shared_->limiter.held_until();
    if (held > now) {
      if (held >= deadline) {
        throw RateLimited(provider + " asked for a pause (Retry-After) past the job's deadline",
                          std::max<Duration>(std::chrono::duration_cast<Duration>(held - now), std::chrono::seconds(1)));
      }
      if (!sleep_until(held, cancel)) throw extract::Cancelled();
      continue;
    }
    RequestLimiter::Slot slot = shared_->limiter.try_acquire();
    if (!slot) {
      if (!sleep_until(now + std::chrono::milliseconds(50), cancel)) throw extract::Cancelled();
      continue;
    }
    if (now >= deadline) throw AiError(AiErrorKind::deadline, "the AI request did not finish before the job's deadline");

    const TransferOptions options = transfer_options(config, std::chrono::duration_cast<Duration>(deadline - now));
    Transfer transfer(request, options);
    ++usage.requests;
    if (!first) ++usage.retries;
    first = false;
    const HttpResponse r = transfer.finish(curl_easy_perform(transfer.easy()));
    slot.reset();
    now = Clock::now();

    // What to do after a transient failure: wait and try again, or give up.
    auto retry = [&](const std::string& why, bool rate_limited, std::optional<Duration> server_delay) {
      ++transient_retries;
      const Duration delay = retry_delay(policy, transient_retries, server_delay, jitter());
      if (rate_limited && server_delay) shared_->limiter.hold_until(now + *server_delay);
      if (transient_retries > config.max_retries || now + delay >= deadline) {
        util::log_event(spdlog::level::warn, "ai.request.gave_up",
                        {LogField("provider", provider), LogField("reason", why), LogField("attempts", transient_retries)});
        if (rate_limited) {
          throw RateLimited(provider + " is rate-limiting or overloaded (" + why + ")",
                            std::max<Duration>(delay, std::chrono::seconds(1)));
        }
        throw AiError(AiErrorKind::unavailable, provider + " is unavailable (" + why + ")");
      }
      util::log_event(spdlog::level::warn, "ai.request.retry",
                      {LogField("provider", provider), LogField("reason", why),
                       LogField("delay_ms", std::chrono::duration_cast<std::chrono::milliseconds>(delay).count())});
      if (!sleep_until(now + delay, cancel)) throw extract::Cancelled();
    };
    auto content_failure = [&](const std::string& why) {
      if (content_retries++ < 1) {
        util::log_event(spdlog::level::warn, "ai.answer.rejected", {LogField("provider", provider), LogField("reason", why)});
        return;
      }
      throw AiError(AiErrorKind::bad_answer,
                    provider + " model " + config.model + " gave no usable answer in two attempts: " + why);
    };

    if (r.curl_code != CURLE_OK) {
      const std::string what = redact(r.curl_error, config.api_key);
      if (permanent_tls(r.curl_code)) throw AiError(AiErrorKind::tls, "cannot reach " + provider + " securely: " + what);
      if (r.curl_code == CURLE_UNSUPPORTED_PROTOCOL || r.curl_code == CURLE_URL_MALFORMAT) {
        throw AiError(AiErrorKind::request_rejected, "cannot send the request to " + provider + ": " + what);
      }
      retry(what, false, std::nullopt);
      continue;
    }
    if (r.status >= 200 && r.status < 300) {
      ProviderReply reply = api.read_reply(r.body);
      usage.input_tokens += reply.tokens.input;
      usage.output_tokens += reply.tokens.output;
      switch (reply.kind) {
        case ProviderReply::Kind::answer:
          return std::move(reply.answer);
        case ProviderReply::Kind::refused:
          content_failure("the model refused: " + redact(reply.detail, config.api_key, 200));
          break;
        case ProviderReply::Kind::truncated:
          content_failure("the answer was cut off by the output token limit (EXAMQ_AI_MAX_OUTPUT_TOKENS=" +
                          std::to_string(config.max_output_tokens) + ")");
          break;
        case ProviderReply::Kind::malformed:
          content_failure(redact(reply.detail, config.api_key, 200));
          break;
      }
      continue;
    }
    if (r.status >= 300 && r.status < 400) {
      throw AiError(AiErrorKind::request_rejected, provider + " answered HTTP " + std::to_string(r.status) +
                                                       " (a redirect); set EXAMQ_AI_BASE_URL to the final URL");
    }
    const ProviderFailure f = api.classify_failure(r.status, r.body);
    const std::string status =
        "HTTP " + std::to_string(r.status) + (f.description.empty() ? "" : " " + redact(f.description, config.api_key));
    std::optional<Duration> server_delay;
    if (r.retry_after_ms) server_delay = parse_retry_after_ms(*r.retry_after_ms);
    if (!server_delay && r.retry_after) server_delay = parse_retry_after(*r.retry_after, std::chrono::system_clock::now());
    switch (f.cls) {
      case FailureClass::retry:
        retry(status, false, server_delay);
        continue;
      case FailureClass::rate_limited:
        retry(status, true, server_delay);
        continue;
      case FailureClass::key_rejected:
        throw AiError(AiErrorKind::key_rejected,
                      provider + " rejected the API key" +
                          (config.api_key_source.empty() ? " (none is configured)" : " from " + config.api_key_source) +
                          " (" + status + ")");
      case FailureClass::quota_exhausted:
        throw AiError(AiErrorKind::quota_exhausted, provider + " account has no quota or credit left (" + status + ")");
      case FailureClass::rejected:
        throw AiError(AiErrorKind::request_rejected, provider + " rejected the request (" + status + ")" +
                                                         (r.status == 404 ? "; check EXAMQ_AI_BASE_URL and EXAMQ_AI_MODEL" : ""));
    }
  }
}

}  // namespace examq::ai
