#pragma once
// One provider's wire format: how a batch of pages becomes an HTTP request, how its answer is
// read, and what its errors mean. batch_runner.h does the sending, retrying and counting, the
// same for every provider.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tao/json/value.hpp>

#include "ai/ai_config.h"
#include "ai/ai_input.h"
#include "ai/extraction_prompt.h"
#include "ai/http_transfer.h"

namespace examq::ai {

struct BatchRequestInput {
  std::vector<const PageImage*> pages;  // in page order
  const ExtractionPrompt* prompt = nullptr;
  bool first_batch = true;
  bool last_batch = true;
  // The stable prefix reaches the model's prompt cache minimum (prompt_cache_min_tokens): ask
  // the provider to cache it where this is explicit (Anthropic's cache_control on the last stable
  // system block; OpenAI caches prefixes itself). Below the minimum nothing would be cached.
  bool cache_instructions = false;
  // The last question label before the first page, when known (see batch_request_text).
  std::string previous_label;
};

// A text-only request (no images): the retag-questions job's (retag/ai_tagger.h). The answer is
// forced into `schema` the same way as an extraction's (OpenAI json_schema named `schema_name`;
// Anthropic's record_questions tool, whose answer read_reply() reads).
struct TextRequestInput {
  std::string instructions;  // the system prompt
  std::string text;          // the user message
  std::string schema_name;
  const tao::json::value* schema = nullptr;
  std::string tool_description;
};

struct TokenCounts {
  std::int64_t input = 0;        // every prompt token, cached ones included
  std::int64_t output = 0;
  std::int64_t cache_write = 0;  // of input: written to the prompt cache (Anthropic's cache_creation_input_tokens)
  std::int64_t cache_read = 0;   // of input: read from it (cache_read_input_tokens; OpenAI's cached_tokens)
};

// A 2xx response, read.
struct ProviderReply {
  enum class Kind {
    answer,     // `answer` holds the model's JSON object (validated later by answer_parser.h)
    refused,    // the model declined (refusal, content filter); `detail` says what it said
    truncated,  // cut off by the output token limit
    malformed,  // not the expected shape, or the model's text is not JSON; `detail` says how
  };
  Kind kind = Kind::malformed;
  tao::json::value answer;
  std::string detail;
  TokenCounts tokens;  // as billed, whatever the kind
};

// What a non-2xx status means.
enum class FailureClass {
  retry,            // 408, 409, 425, 5xx: try again with backoff
  rate_limited,     // 429 (not quota), 529 overloaded: try again, then snooze the job
  key_rejected,     // 401, 403
  quota_exhausted,  // out of credit / over a spend limit
  rejected,         // any other 4xx: the request itself is wrong; retrying cannot help
};

struct ProviderFailure {
  FailureClass cls = FailureClass::rejected;
  std::string description;  // "authentication_error: invalid x-api-key" (unredacted provider text)
};

class ProviderApi {
 public:
  virtual ~ProviderApi() = default;

  virtual Provider provider() const = 0;
  // The endpoint requests go to, e.g. https://api.openai.com/v1/chat/completions.
  virtual const std::string& endpoint() const = 0;
  virtual HttpRequest build_request(const BatchRequestInput& input) const = 0;
  virtual HttpRequest build_text_request(const TextRequestInput& input) const = 0;
  virtual ProviderReply read_reply(std::string_view body) const = 0;
  virtual ProviderFailure classify_failure(long status, std::string_view body) const = 0;
};

// The API for config.provider. config must be valid (see ai_config.h).
std::unique_ptr<ProviderApi> make_provider_api(const AiConfig& config);

// Shared by the providers' readers. The string / whole-number member KEY of OBJECT ("" / 0 when
// absent, of another type, or OBJECT is not an object).
std::string string_at(const tao::json::value* object, const char* key);
std::int64_t count_at(const tao::json::value* object, const char* key);
// Parses a 2xx body into `out` when it is a JSON object; otherwise sets reply.detail (the reply
// stays `malformed`) and returns false.
bool parse_reply_object(std::string_view body, tao::json::value& out, ProviderReply& reply);

// Shared by the providers: the class of a status once provider-specific quota and billing
// errors have been recognised (`quota`).
FailureClass classify_status(long status, bool quota);

}  // namespace examq::ai
