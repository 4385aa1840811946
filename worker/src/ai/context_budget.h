#pragma once
// The server's context window (EXAMQ_AI_CONTEXT_TOKENS), for local servers whose context is small
// or silently cuts a long prompt (Ollama's default context; its OpenAI-compatible endpoint ignores
// a per-request num_ctx). Before sending, each request's prompt tokens are estimated (text:
// characters / 4; images: the provider's per-image estimate or EXAMQ_AI_IMAGE_TOKENS) and batches
// are made small enough to fit; after a reply, the prompt tokens the server reports are compared
// with the estimate to catch a prompt the server cut. Without EXAMQ_AI_CONTEXT_TOKENS nothing is
// checked (the cloud APIs refuse a prompt that does not fit instead of cutting it).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ai/ai_config.h"
#include "ai/ai_input.h"
#include "ai/extraction_prompt.h"
#include "ai/http_transfer.h"

namespace examq::ai {

// Text: about 4 characters a token.
inline constexpr std::int64_t kCharsPerToken = 4;
// A prompt may use context - min(max_output_tokens, context / kAnswerShareDivisor): the answer
// needs room in the same window, at least a quarter of it unless max_output_tokens is smaller.
inline constexpr std::int64_t kAnswerShareDivisor = 4;
// The server cut the prompt when it reports fewer than this percentage of the estimate...
inline constexpr std::int64_t kCutBelowPercent = 60;
// ...or at least the context minus this percentage of it (a prompt cut to fit the window).
inline constexpr std::int64_t kCutAtContextPercent = 1;
// ...or exactly a power of two from 2048 (a window size: Ollama's defaults are 2048 and 4096),
// when that is under this percentage of the estimate: a context the server was given without
// EXAMQ_AI_CONTEXT_TOKENS being changed to match.
inline constexpr std::int64_t kCutAtWindowSizePercent = 90;

// The tokens one page image is estimated to cost: config.image_tokens when set; otherwise OpenAI's
// detail "high" formula (fit in 2048 x 2048, shortest side 768, 85 + 170 per 512 px tile) or
// Anthropic's (long side at most 1568 px, width * height / 750). Unknown sizes count as an A4
// page at 150 DPI (1240 x 1754).
std::int64_t image_token_estimate(const AiConfig& config, const PageImage& page);

// The estimate for a built request: the body's characters other than the images' base64, / 4,
// plus each image's estimate.
std::int64_t prompt_token_estimate(const AiConfig& config, const HttpRequest& request,
                                   const std::vector<const PageImage*>& pages);

// The estimate for what every request of a job carries besides its images: the instructions, the
// schema, and kRequestOverheadTokens for the request text, page labels and the JSON around them.
inline constexpr std::int64_t kRequestOverheadTokens = 256;
std::int64_t instructions_token_estimate(const ExtractionPrompt& prompt);

// The estimate for the prefix every request of every job starts with (the schema, sent first as
// Anthropic's tool or OpenAI's response format, and the stable instructions), and with the job's
// topic list when with_job_part: what a provider's prompt cache can store. Characters / 4.
std::int64_t stable_prefix_token_estimate(const ExtractionPrompt& prompt, bool with_job_part);

// The prompt tokens a request may use under config.context_tokens (see kAnswerShareDivisor);
// nullopt when no context is configured.
std::optional<std::int64_t> prompt_token_budget(const AiConfig& config);

// The most pages one request may carry so that `text_tokens` (instructions, schema, request
// text) plus the largest pages' estimates fit the budget: config.pages_per_request without a
// context, else at most that. Throws AiError(request_rejected) naming EXAMQ_AI_CONTEXT_TOKENS and
// the servers' context flags when not even one page fits.
int pages_per_request_within_context(const AiConfig& config, std::int64_t text_tokens,
                                     const std::vector<PageImage>& pages);

// After a reply: the error message when the server evidently cut the prompt (reported prompt
// tokens under kCutBelowPercent of the estimate, within kCutAtContextPercent of the context, or a
// window size under kCutAtWindowSizePercent of the estimate),
// nullopt otherwise or when no context is configured or the server reported no count.
std::optional<std::string> prompt_cut_error(const AiConfig& config, std::int64_t estimated, std::int64_t reported);

// What to raise, for messages: "OLLAMA_CONTEXT_LENGTH / num_ctx, llama.cpp -c, vLLM --max-model-len".
inline constexpr const char* kServerContextFlags =
    "OLLAMA_CONTEXT_LENGTH / num_ctx, llama.cpp -c, vLLM --max-model-len";

}  // namespace examq::ai
