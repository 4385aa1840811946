#include "ai/openai_api.h"

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include "ai/answer_parser.h"
#include "ai/base64.h"
#include "ai/model_family.h"
#include "ai/streaming.h"

namespace examq::ai {

OpenAiApi::OpenAiApi(const AiConfig& config)
    : endpoint_(config.base_url + "/chat/completions"),
      model_(config.model),
      api_key_(config.api_key),
      max_tokens_field_(config.openai_max_tokens_field),
      max_output_tokens_(config.max_output_tokens),
      temperature_(accepts_temperature(Provider::openai, config.model) ? config.temperature : std::nullopt),
      reasoning_effort_(accepts_reasoning_effort(Provider::openai, config.model) ? config.reasoning_effort : ""),
      stream_(stream_format(config) != StreamFormat::none) {}

HttpRequest OpenAiApi::build_request(const BatchRequestInput& input) const {
  tao::json::value content = tao::json::empty_array;
  auto& parts = content.get_array();
  for (const PageImage* page : input.pages) {
    parts.push_back({{"type", "text"}, {"text", page_label(page->page_number)}});
    std::string url = "data:image/jpeg;base64,";
    append_base64(url, page->jpeg);
    parts.push_back({{"type", "image_url"}, {"image_url", {{"url", std::move(url)}, {"detail", "high"}}}});
  }
  parts.push_back({{"type", "text"},
                   {"text", batch_request_text(input.pages.front()->page_number, input.pages.back()->page_number,
                                               input.first_batch, input.last_batch, input.previous_label)}});

  tao::json::value body = {
      {"model", model_},
      {"messages", tao::json::value::array({
                       {{"role", "system"}, {"content", input.prompt->instructions}},
                       {{"role", "user"}, {"content", std::move(content)}},
                   })},
      {"response_format",
       {{"type", "json_schema"},
        {"json_schema", {{"name", "exam_questions"}, {"strict", true}, {"schema", input.prompt->schema}}}}},
  };
  return finish_request(std::move(body));
}

HttpRequest OpenAiApi::build_text_request(const TextRequestInput& input) const {
  tao::json::value body = {
      {"model", model_},
      {"messages", tao::json::value::array({
                       {{"role", "system"}, {"content", input.instructions}},
                       {{"role", "user"}, {"content", input.text}},
                   })},
      {"response_format",
       {{"type", "json_schema"}, {"json_schema", {{"name", input.schema_name}, {"strict", true}, {"schema", *input.schema}}}}},
  };
  return finish_request(std::move(body));
}

HttpRequest OpenAiApi::finish_request(tao::json::value body) const {
  body[max_tokens_field_] = max_output_tokens_;
  if (temperature_) body["temperature"] = *temperature_;
  if (!reasoning_effort_.empty()) body["reasoning_effort"] = reasoning_effort_;
  if (stream_) {
    // The usage arrives in one more chunk before [DONE] only when asked for (openai_stream.cc).
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }

  HttpRequest request;
  request.url = endpoint_;
  request.headers.push_back("Content-Type: application/json");
  request.headers.push_back(stream_ ? "Accept: text/event-stream" : "Accept: application/json");
  if (!api_key_.empty()) request.headers.push_back("Authorization: Bearer " + api_key_);
  request.body = tao::json::to_string(body);
  return request;
}

ProviderReply OpenAiApi::read_reply(std::string_view body) const {
  ProviderReply reply;
  tao::json::value v;
  if (!parse_reply_object(body, v, reply)) return reply;
  const tao::json::value* usage = v.find("usage");
  reply.tokens.input = count_at(usage, "prompt_tokens");
  reply.tokens.output = count_at(usage, "completion_tokens");
  reply.tokens.cache_read = count_at(usage != nullptr && usage->is_object() ? usage->find("prompt_tokens_details") : nullptr,
                                     "cached_tokens");

  const tao::json::value* choices = v.find("choices");
  if (choices == nullptr || !choices->is_array() || choices->get_array().empty() ||
      !choices->get_array().front().is_object()) {
    reply.detail = "the response has no choices";
    return reply;
  }
  const tao::json::value& choice = choices->get_array().front();
  const tao::json::value* message = choice.find("message");
  std::string finish = string_at(&choice, "finish_reason");
  std::string refusal = string_at(message, "refusal");
  if (!refusal.empty()) {
    reply.kind = ProviderReply::Kind::refused;
    reply.detail = refusal;
    return reply;
  }
  if (finish == "length") {
    reply.kind = ProviderReply::Kind::truncated;
    return reply;
  }
  if (finish == "content_filter") {
    reply.kind = ProviderReply::Kind::refused;
    reply.detail = "the provider's content filter stopped the answer";
    return reply;
  }
  const tao::json::value* text = message != nullptr && message->is_object() ? message->find("content") : nullptr;
  if (text == nullptr || !text->is_string_type()) {
    reply.detail = "the message has no text content";
    return reply;
  }
  try {
    reply.answer = parse_answer_text(text->get_string_type());
    reply.kind = ProviderReply::Kind::answer;
  } catch (const InvalidAnswer& e) {
    reply.detail = e.what();
  }
  return reply;
}

ProviderFailure OpenAiApi::classify_failure(long status, std::string_view body) const {
  std::string type, code, message;
  try {
    tao::json::value v = tao::json::from_string(std::string(body));
    if (v.is_object()) {
      const tao::json::value* error = v.find("error");
      if (error != nullptr && error->is_object()) {
        type = string_at(error, "type");
        code = string_at(error, "code");
        message = string_at(error, "message");
      } else if (error != nullptr && error->is_string_type()) {
        message = error->get_string_type();  // llama.cpp and others
      } else {
        type = string_at(&v, "type");
        message = string_at(&v, "message");  // vLLM's {"object": "error", ...}
        if (message.empty()) message = string_at(&v, "detail");
      }
    }
  } catch (const std::exception&) {
    message = std::string(body.substr(0, 200));
  }
  bool quota = code == "insufficient_quota" || type == "insufficient_quota";
  std::string description = code.empty() ? type : code;
  if (!message.empty()) description += description.empty() ? message : ": " + message;
  // "Request too large for gpt-4o ... on tokens per min (TPM): Limit 30000, Requested 45000":
  // a 429 that no wait can cure (one request is over the per-minute limit): rejected at once.
  if (status == 429 && !quota && message.rfind("Request too large", 0) == 0) {
    return ProviderFailure{FailureClass::rejected,
                           description + " (one request is over the account's per-minute token limit: lower "
                                         "EXAMQ_AI_PAGES_PER_REQUEST or raise the limit)"};
  }
  return ProviderFailure{classify_status(status, quota), description};
}

}  // namespace examq::ai
