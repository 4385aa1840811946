#pragma once
// The OpenAI Chat Completions API, also spoken by vLLM, Ollama, llama.cpp's server and other
// compatible servers. A batch is one user message: per page a "Page N" text part and an
// image_url part (data:image/jpeg;base64,..., detail "high": exam text is small), then the
// request text; the instructions are the system message. The answer is forced into the schema
// with response_format {type: json_schema, json_schema: {name, strict: true, schema}}.
// temperature is sent unless the model refuses one, reasoning_effort only to reasoning models
// (model_family.h).

#include "ai/provider_api.h"

namespace examq::ai {

class OpenAiApi final : public ProviderApi {
 public:
  explicit OpenAiApi(const AiConfig& config);

  Provider provider() const override { return Provider::openai; }
  const std::string& endpoint() const override { return endpoint_; }
  HttpRequest build_request(const BatchRequestInput& input) const override;
  HttpRequest build_text_request(const TextRequestInput& input) const override;
  // choices[0]: message.refusal -> refused; finish_reason "length" -> truncated; "content_filter"
  // -> refused; message.content parsed as JSON -> answer. usage.prompt_tokens/completion_tokens,
  // and usage.prompt_tokens_details.cached_tokens (the part of prompt_tokens read from OpenAI's
  // automatic prompt cache) as tokens.cache_read.
  ProviderReply read_reply(std::string_view body) const override;
  // 429 with error.code or error.type "insufficient_quota" is a spent quota, not a rate limit.
  ProviderFailure classify_failure(long status, std::string_view body) const override;

 private:
  HttpRequest finish_request(tao::json::value body) const;
  std::string endpoint_;
  std::string model_;
  std::string api_key_;
  std::string max_tokens_field_;
  int max_output_tokens_;
  std::optional<double> temperature_;  // only when the model accepts one
  std::string reasoning_effort_;       // only for reasoning models
  bool stream_;                        // streaming.h
};

}  // namespace examq::ai
