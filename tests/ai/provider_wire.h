#pragma once
// The two providers' real wire formats, as the fake servers speak them: reading what the worker
// sent (and rejecting what the real API would reject) and writing the API's answers and errors.
// Behaviour tests are written once and run against both (BOOST_AUTO_TEST_CASE_TEMPLATE over
// OpenAiWire and AnthropicWire).

#include <optional>
#include <string>
#include <vector>

#include <tao/json/value.hpp>

#include "ai/ai_config.h"
#include "fake_http_server.h"

namespace examq::test {

// A question as the fake model answers it.
struct FakeQuestion {
  std::string number;
  std::string parent_number;
  std::string text;
  std::optional<int> marks;
  int page_number = 0;
  std::vector<std::string> topic_refs;
};

// {"questions": [...]} with topic_refs only when with_topics.
tao::json::value answer_json(const std::vector<FakeQuestion>& questions, bool with_topics);

// What one request carried, once checked against the API's rules.
struct SentBatch {
  std::string model;
  std::int64_t max_tokens = 0;
  std::vector<int> pages;           // from the "Page N" label before each image, in order
  std::vector<std::string> images;  // the decoded JPEG bytes, in order
  std::string instructions;         // the system prompt
  std::string request_text;         // the text after the images
  tao::json::value schema;          // the answer schema
  bool asks_for_topics = false;     // the schema has topic_refs
  std::optional<double> temperature;  // when sent
  std::string reasoning_effort;       // OpenAI, when sent
  std::size_t body_bytes = 0;         // the whole request body as received
  bool stream = false;                // "stream": true
  bool include_usage = false;         // OpenAI: stream_options.include_usage
  // The part of the prompt every request of every job should start with, as sent: Anthropic's
  // tools and system blocks (cache_control included), OpenAI's response_format and system
  // message (JSON text).
  std::string stable_prefix;
  // Anthropic: a system block carries cache_control. OpenAI: always false (caching is automatic).
  bool cache_control = false;
  // What the provider's prompt cache matches: Anthropic, the tools and system blocks up to the
  // one marked cache_control ("" when none is); OpenAI, the whole prompt as sent (response
  // format, system message, then the user message's parts), matched as a prefix.
  std::string cache_key;
};

// What a fake's prompt cache did for one request, in tokens (the fake counts characters / 4).
struct CacheUse {
  std::int64_t written = 0;
  std::int64_t read = 0;
};

// Thrown by parse() for a request the real API would reject (400).
struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OpenAiWire {
  static constexpr const char* name = "openai";
  static constexpr const char* key_header = "authorization";
  static constexpr const char* default_key = "sk-test-openai-key-0123456789";

  // base_url = server + "/v1", model "gpt-test", key `key`.
  static ai::AiConfig config(const FakeHttpServer& server, const std::string& key = default_key);
  static bool is_endpoint(const FakeRequest& r) { return r.method == "POST" && r.target == "/v1/chat/completions"; }
  // Checks: POST JSON, Bearer key, model, messages [system, user], user content of alternating
  // "Page N" text parts and image_url parts (data:image/jpeg;base64,...), then one text part;
  // response_format json_schema with strict true, a name and a schema; a max tokens field;
  // a reasoning model (gpt-5*, o1/o3/o4) refuses a temperature, the others a reasoning_effort;
  // at most 50 MB a request and 500 images.
  static SentBatch parse(const FakeRequest& r, const std::string& key);

  static FakeResponse answer(const tao::json::value& answer, int input_tokens = 1000, int output_tokens = 200);
  // The automatic prompt cache: a request whose prompt starts with at least 1,024 tokens of an
  // earlier answered request's reads them (in steps of 128), reported as
  // usage.prompt_tokens_details.cached_tokens (part of prompt_tokens). `answered` holds the
  // cache keys of the requests answered so far; remember() adds one.
  static CacheUse cache_use(const SentBatch& b, const std::vector<std::string>& answered);
  static void remember(const SentBatch& b, std::vector<std::string>& answered);
  static void report_cache(FakeResponse& r, const CacheUse& use);
  static FakeResponse answer_text(const std::string& content);  // the model's text as is
  static FakeResponse refusal(const std::string& why);
  static FakeResponse truncated();
  static FakeResponse rate_limited(const std::string& retry_after);  // 429 rate_limit_exceeded
  static FakeResponse request_too_large();                           // 429 "Request too large ... (TPM)"
  static FakeResponse overloaded();                                  // 529 (a proxy in front, say)
  static FakeResponse server_error();                                // 500
  static FakeResponse bad_key(const std::string& key);               // 401, echoing part of the key
  static FakeResponse quota();                                       // 429 insufficient_quota
  static FakeResponse bad_request(const std::string& message);       // 400
  // `r` (an answer above) as the API streams it to `b`'s request, shaped by r.stream_options:
  // chat.completion.chunk events (role, content or refusal pieces, finish_reason, the usage
  // chunk when asked for), then [DONE]. Other statuses are returned as they are.
  static FakeResponse stream(const FakeResponse& r, const SentBatch& b);
  static std::string overloaded_event();  // an error event mid-stream
};

struct AnthropicWire {
  static constexpr const char* name = "anthropic";
  static constexpr const char* key_header = "x-api-key";
  static constexpr const char* default_key = "sk-ant-test-key-0123456789";

  // base_url = server, model "claude-test", key `key`.
  static ai::AiConfig config(const FakeHttpServer& server, const std::string& key = default_key);
  static bool is_endpoint(const FakeRequest& r) { return r.method == "POST" && r.target == "/v1/messages"; }
  // Checks: POST JSON, x-api-key, anthropic-version, model, max_tokens, system, one user message
  // whose content is "Page N" text blocks each followed by a base64 image block (image/jpeg),
  // then one text block; a tool with an input_schema and tool_choice forcing it; a temperature,
  // when sent, from 0 to 1; the documented limits: 32 MB a request, 5 MB of base64 an image,
  // 100 images, 8000 px a side, 2000 px once there are more than 20 images.
  static SentBatch parse(const FakeRequest& r, const std::string& key);

  static FakeResponse answer(const tao::json::value& answer, int input_tokens = 1000, int output_tokens = 200);
  // The prompt cache as documented: the prefix up to the block marked cache_control is stored
  // once a request is answered, only when it is at least min_cacheable_tokens (shorter: silently
  // not cached); a later request with the same prefix reads it. Reported as the API does:
  // cache_creation_input_tokens / cache_read_input_tokens, and input_tokens for the rest only.
  static std::int64_t min_cacheable_tokens(const std::string& model);
  static CacheUse cache_use(const SentBatch& b, const std::vector<std::string>& answered);
  static void remember(const SentBatch& b, std::vector<std::string>& answered);
  static void report_cache(FakeResponse& r, const CacheUse& use);
  static FakeResponse answer_text(const std::string& content);  // a text block instead of the tool
  static FakeResponse refusal(const std::string& why);
  static FakeResponse truncated();
  static FakeResponse rate_limited(const std::string& retry_after);  // 429 rate_limit_error
  static FakeResponse overloaded();                                  // 529 overloaded_error
  static FakeResponse server_error();                                // 500 api_error
  static FakeResponse bad_key(const std::string& key);               // 401 authentication_error
  static FakeResponse quota();                                       // 400 credit balance too low
  static FakeResponse bad_request(const std::string& message);       // 400 invalid_request_error
  // `r` as the API streams it: message_start, ping, per block content_block_start, deltas
  // (text_delta / input_json_delta pieces) and content_block_stop, message_delta (stop_reason,
  // output usage), message_stop. Other statuses are returned as they are.
  static FakeResponse stream(const FakeResponse& r, const SentBatch& b);
  static std::string overloaded_event();  // event: error, overloaded_error
};

// The 400 a real API answers to a malformed request.
template <typename Wire>
FakeResponse reject_request(const BadRequest& e) {
  return Wire::bad_request(std::string("fake server: ") + e.what());
}

}  // namespace examq::test
