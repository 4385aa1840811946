#include "ai/anthropic_api.h"

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <algorithm>
#include <cctype>

#include "ai/answer_parser.h"
#include "ai/base64.h"
#include "ai/streaming.h"

namespace examq::ai {
namespace {

bool contains_folded(std::string haystack, std::string_view needle) {
  std::transform(haystack.begin(), haystack.end(), haystack.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

AnthropicApi::AnthropicApi(const AiConfig& config)
    : endpoint_(config.base_url + "/v1/messages"),
      model_(config.model),
      api_key_(config.api_key),
      version_(config.anthropic_version),
      max_output_tokens_(config.max_output_tokens),
      temperature_(config.temperature),
      stream_(stream_format(config) != StreamFormat::none) {}

HttpRequest AnthropicApi::build_request(const BatchRequestInput& input) const {
  tao::json::value content = tao::json::empty_array;
  auto& blocks = content.get_array();
  for (const PageImage* page : input.pages) {
    blocks.push_back({{"type", "text"}, {"text", page_label(page->page_number)}});
    blocks.push_back({{"type", "image"},
                      {"source", {{"type", "base64"}, {"media_type", "image/jpeg"}, {"data", base64_encode(page->jpeg)}}}});
  }
  blocks.push_back({{"type", "text"},
                    {"text", batch_request_text(input.pages.front()->page_number, input.pages.back()->page_number,
                                                input.first_batch, input.last_batch, input.previous_label)}});

  // The cached prefix is tools, then system: the schema, the stable instructions (the same for
  // every job), then the job's topic list in a block of its own. cache_control goes on the last
  // of them, and only when the runner found that prefix long enough for the model's cache
  // minimum: Anthropic ignores a shorter one, so marking it would only mislead.
  tao::json::value system = tao::json::value::array({{{"type", "text"}, {"text", input.prompt->stable_instructions}}});
  if (!input.prompt->job_instructions.empty()) {
    system.get_array().push_back({{"type", "text"}, {"text", input.prompt->job_instructions}});
  }
  if (input.cache_instructions) system.get_array().back()["cache_control"] = {{"type", "ephemeral"}};

  tao::json::value body = {
      {"model", model_},
      {"max_tokens", max_output_tokens_},
      {"system", std::move(system)},
      {"tools", tao::json::value::array({{
                    {"name", kToolName},
                    {"description", "Records the exam questions read from the pages."},
                    {"input_schema", input.prompt->schema},
                }})},
      {"tool_choice", {{"type", "tool"}, {"name", kToolName}}},
      {"messages", tao::json::value::array({{{"role", "user"}, {"content", std::move(content)}}})},
  };
  return finish_request(std::move(body));
}

HttpRequest AnthropicApi::build_text_request(const TextRequestInput& input) const {
  tao::json::value body = {
      {"model", model_},
      {"max_tokens", max_output_tokens_},
      {"system", tao::json::value::array({{{"type", "text"}, {"text", input.instructions}}})},
      {"tools", tao::json::value::array({{
                    {"name", kToolName},
                    {"description", input.tool_description},
                    {"input_schema", *input.schema},
                }})},
      {"tool_choice", {{"type", "tool"}, {"name", kToolName}}},
      {"messages", tao::json::value::array(
                       {{{"role", "user"}, {"content", tao::json::value::array({{{"type", "text"}, {"text", input.text}}})}}})},
  };
  return finish_request(std::move(body));
}

HttpRequest AnthropicApi::finish_request(tao::json::value body) const {
  if (temperature_) body["temperature"] = *temperature_;
  if (stream_) body["stream"] = true;  // anthropic_stream.cc

  HttpRequest request;
  request.url = endpoint_;
  request.headers.push_back("Content-Type: application/json");
  request.headers.push_back(stream_ ? "Accept: text/event-stream" : "Accept: application/json");
  request.headers.push_back("anthropic-version: " + version_);
  if (!api_key_.empty()) request.headers.push_back("x-api-key: " + api_key_);
  request.body = tao::json::to_string(body);
  return request;
}

ProviderReply AnthropicApi::read_reply(std::string_view body) const {
  ProviderReply reply;
  tao::json::value v;
  if (!parse_reply_object(body, v, reply)) return reply;
  const tao::json::value* usage = v.find("usage");
  reply.tokens.input = count_at(usage, "input_tokens") + count_at(usage, "cache_creation_input_tokens") +
                       count_at(usage, "cache_read_input_tokens");
  reply.tokens.output = count_at(usage, "output_tokens");
  reply.tokens.cache_write = count_at(usage, "cache_creation_input_tokens");
  reply.tokens.cache_read = count_at(usage, "cache_read_input_tokens");

  std::string stop = string_at(&v, "stop_reason");
  const tao::json::value* content = v.find("content");
  std::string text;
  const tao::json::value* tool_input = nullptr;
  if (content != nullptr && content->is_array()) {
    for (const tao::json::value& block : content->get_array()) {
      if (!block.is_object()) continue;
      std::string type = string_at(&block, "type");
      if (type == "tool_use" && string_at(&block, "name") == kToolName && tool_input == nullptr) {
        tool_input = block.find("input");
      } else if (type == "text") {
        text += string_at(&block, "text");
      }
    }
  }
  if (stop == "max_tokens") {
    reply.kind = ProviderReply::Kind::truncated;
    return reply;
  }
  if (stop == "refusal") {
    reply.kind = ProviderReply::Kind::refused;
    reply.detail = text.empty() ? "the model declined to answer" : text;
    return reply;
  }
  if (tool_input != nullptr) {
    reply.kind = ProviderReply::Kind::answer;
    reply.answer = *tool_input;
    return reply;
  }
  if (!text.empty()) {
    try {
      reply.answer = parse_answer_text(text);
      reply.kind = ProviderReply::Kind::answer;
    } catch (const InvalidAnswer&) {
      reply.detail = "the model answered in prose instead of calling " + std::string(kToolName);
    }
    return reply;
  }
  reply.detail = "the response has no " + std::string(kToolName) + " tool_use block";
  return reply;
}

ProviderFailure AnthropicApi::classify_failure(long status, std::string_view body) const {
  std::string type, message, detail_code;
  try {
    tao::json::value v = tao::json::from_string(std::string(body));
    const tao::json::value* error = v.is_object() ? v.find("error") : nullptr;
    if (error != nullptr && error->is_object()) {
      type = string_at(error, "type");
      message = string_at(error, "message");
      const tao::json::value* details = error->find("details");
      detail_code = string_at(details, "error_code");
    }
  } catch (const std::exception&) {
    message = std::string(body.substr(0, 200));
  }
  bool quota = type == "billing_error" || detail_code == "enforced_spend_limit_reached" ||
               (status == 400 && (contains_folded(message, "credit balance") || contains_folded(message, "spend limit") ||
                                  contains_folded(message, "billing")));
  std::string description = type;
  if (!detail_code.empty()) description += (description.empty() ? "" : " ") + std::string("(") + detail_code + ")";
  if (!message.empty()) description += description.empty() ? message : ": " + message;
  return ProviderFailure{classify_status(status, quota), description};
}

}  // namespace examq::ai
