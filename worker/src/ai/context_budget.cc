#include "ai/context_budget.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <tao/json/to_string.hpp>

#include "ai/ai_error.h"

namespace examq::ai {
namespace {

constexpr int kDefaultWidth = 1240;  // A4 at 150 DPI
constexpr int kDefaultHeight = 1754;

std::int64_t base64_size(std::size_t bytes) { return static_cast<std::int64_t>((bytes + 2) / 3 * 4); }

std::int64_t openai_high_detail(double w, double h) {
  if (w > 2048 || h > 2048) {
    const double s = 2048 / std::max(w, h);
    w *= s;
    h *= s;
  }
  if (std::min(w, h) > 768) {
    const double s = 768 / std::min(w, h);
    w *= s;
    h *= s;
  }
  const auto tiles = static_cast<std::int64_t>(std::ceil(w / 512) * std::ceil(h / 512));
  return 85 + 170 * tiles;
}

std::int64_t anthropic_image(double w, double h) {
  if (std::max(w, h) > 1568) {
    const double s = 1568 / std::max(w, h);
    w *= s;
    h *= s;
  }
  return static_cast<std::int64_t>(std::ceil(w * h / 750));
}

std::string number(std::int64_t n) { return std::to_string(n); }

}  // namespace

std::int64_t image_token_estimate(const AiConfig& config, const PageImage& page) {
  if (config.image_tokens) return *config.image_tokens;
  const bool known = page.width > 0 && page.height > 0;
  const double w = known ? page.width : kDefaultWidth;
  const double h = known ? page.height : kDefaultHeight;
  return config.provider == Provider::openai ? openai_high_detail(w, h) : anthropic_image(w, h);
}

std::int64_t prompt_token_estimate(const AiConfig& config, const HttpRequest& request,
                                   const std::vector<const PageImage*>& pages) {
  std::int64_t text_chars = static_cast<std::int64_t>(request.body.size());
  std::int64_t images = 0;
  for (const PageImage* page : pages) {
    text_chars -= base64_size(page->jpeg.size());
    images += image_token_estimate(config, *page);
  }
  return std::max<std::int64_t>(text_chars, 0) / kCharsPerToken + images;
}

std::int64_t instructions_token_estimate(const ExtractionPrompt& prompt) {
  const auto chars = static_cast<std::int64_t>(prompt.instructions.size() + tao::json::to_string(prompt.schema).size());
  return chars / kCharsPerToken + kRequestOverheadTokens;
}

std::int64_t stable_prefix_token_estimate(const ExtractionPrompt& prompt, bool with_job_part) {
  const std::size_t chars = tao::json::to_string(prompt.schema).size() + prompt.stable_instructions.size() +
                            (with_job_part ? prompt.job_instructions.size() : 0);
  return static_cast<std::int64_t>(chars) / kCharsPerToken;
}

std::optional<std::int64_t> prompt_token_budget(const AiConfig& config) {
  if (!config.context_tokens) return std::nullopt;
  const std::int64_t context = *config.context_tokens;
  return context - std::min<std::int64_t>(config.max_output_tokens, context / kAnswerShareDivisor);
}

int pages_per_request_within_context(const AiConfig& config, std::int64_t text_tokens,
                                     const std::vector<PageImage>& pages) {
  const std::optional<std::int64_t> budget = prompt_token_budget(config);
  if (!budget || pages.empty()) return config.pages_per_request;
  // The dearest pages first: whatever run of pages a batch gets, it costs no more than this.
  std::vector<std::int64_t> costs;
  costs.reserve(pages.size());
  for (const PageImage& page : pages) costs.push_back(image_token_estimate(config, page));
  std::sort(costs.begin(), costs.end(), std::greater<>());
  int fit = 0;
  std::int64_t used = text_tokens;
  for (std::int64_t cost : costs) {
    if (fit >= config.pages_per_request || used + cost > *budget) break;
    used += cost;
    ++fit;
  }
  if (fit == 0) {
    throw AiError(AiErrorKind::request_rejected,
                  "one page does not fit the server's context: about " + number(text_tokens + costs.front()) +
                      " prompt tokens, over the " + number(*budget) + " left for the prompt of EXAMQ_AI_CONTEXT_TOKENS=" +
                      number(*config.context_tokens) + " once " +
                      number(*config.context_tokens - *budget) +
                      " are kept for the answer; raise the server's context (" + kServerContextFlags +
                      ") and EXAMQ_AI_CONTEXT_TOKENS with it" +
                      (config.max_output_tokens < *config.context_tokens / kAnswerShareDivisor
                           ? std::string(", or lower EXAMQ_AI_MAX_OUTPUT_TOKENS")
                           : std::string()));
  }
  return fit;
}

std::optional<std::string> prompt_cut_error(const AiConfig& config, std::int64_t estimated, std::int64_t reported) {
  if (!config.context_tokens || reported <= 0 || estimated <= 0) return std::nullopt;
  const std::int64_t context = *config.context_tokens;
  const bool far_below = reported * 100 < estimated * kCutBelowPercent;
  const bool at_context = reported * 100 >= context * (100 - kCutAtContextPercent);
  const bool window_size = reported >= 2048 && (reported & (reported - 1)) == 0 &&
                           reported * 100 < estimated * kCutAtWindowSizePercent;
  if (!far_below && !at_context && !window_size) return std::nullopt;
  std::string why = at_context ? "it counted " + number(reported) + " prompt tokens, the whole EXAMQ_AI_CONTEXT_TOKENS=" +
                                     number(context)
                               : "it counted " + number(reported) + " prompt tokens of about " + number(estimated) + " sent" +
                                     (window_size ? ", a context window's size" : "");
  return "the server cut the prompt (" + why + "): raise its context (" + kServerContextFlags +
         ") and set EXAMQ_AI_CONTEXT_TOKENS to it" +
         (far_below ? "; if the model spends fewer tokens per image than estimated, set EXAMQ_AI_IMAGE_TOKENS" : "");
}

}  // namespace examq::ai
