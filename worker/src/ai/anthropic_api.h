#pragma once
// The Anthropic Messages API. A batch is one user message: per page a "Page N" text block and a
// base64 image block, then the request text, so every image comes before the instructions that
// refer to it (Anthropic's advice for vision). The instructions are the system prompt: the
// stable block, then the job's topic list when there are topics, the last marked cache_control
// when the prefix reaches the model's cache minimum, so later requests (and jobs) read it from
// the prompt cache. The answer is forced into the schema through tool use: one tool,
// "record_questions", whose input_schema is the answer schema, and tool_choice naming it, so the
// model's answer arrives as the tool_use block's already-parsed input.

#include "ai/provider_api.h"

namespace examq::ai {

class AnthropicApi final : public ProviderApi {
 public:
  explicit AnthropicApi(const AiConfig& config);

  Provider provider() const override { return Provider::anthropic; }
  const std::string& endpoint() const override { return endpoint_; }
  HttpRequest build_request(const BatchRequestInput& input) const override;
  HttpRequest build_text_request(const TextRequestInput& input) const override;
  // stop_reason "max_tokens" -> truncated; "refusal" -> refused; the record_questions tool_use
  // block's input -> answer (a text block holding JSON is accepted too). usage.input_tokens +
  // cache_creation_input_tokens + cache_read_input_tokens, usage.output_tokens; the two cache
  // counts also as tokens.cache_write and tokens.cache_read.
  ProviderReply read_reply(std::string_view body) const override;
  // billing_error (402), a 429 whose error.details.error_code is enforced_spend_limit_reached, and
  // a 400 about the credit balance or a spend limit are a spent quota.
  ProviderFailure classify_failure(long status, std::string_view body) const override;

  static constexpr const char* kToolName = "record_questions";

 private:
  HttpRequest finish_request(tao::json::value body) const;
  std::string endpoint_;
  std::string model_;
  std::string api_key_;
  std::string version_;
  int max_output_tokens_;
  std::optional<double> temperature_;
  bool stream_;  // streaming.h
};

}  // namespace examq::ai
