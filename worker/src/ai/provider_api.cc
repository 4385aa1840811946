#include "ai/provider_api.h"

#include "ai/anthropic_api.h"
#include "ai/openai_api.h"

#include <tao/json/from_string.hpp>

namespace examq::ai {

std::unique_ptr<ProviderApi> make_provider_api(const AiConfig& config) {
  if (config.provider == Provider::anthropic) return std::make_unique<AnthropicApi>(config);
  return std::make_unique<OpenAiApi>(config);
}

std::string string_at(const tao::json::value* object, const char* key) {
  if (object == nullptr || !object->is_object()) return "";
  const tao::json::value* v = object->find(key);
  return v != nullptr && v->is_string_type() ? std::string(v->get_string_type()) : std::string();
}

std::int64_t count_at(const tao::json::value* object, const char* key) {
  if (object == nullptr || !object->is_object()) return 0;
  const tao::json::value* v = object->find(key);
  if (v == nullptr) return 0;
  if (v->is_signed()) return v->get_signed();
  if (v->is_unsigned()) return static_cast<std::int64_t>(v->get_unsigned());
  return 0;
}

bool parse_reply_object(std::string_view body, tao::json::value& out, ProviderReply& reply) {
  try {
    out = tao::json::from_string(std::string(body));
  } catch (const std::exception&) {
    reply.detail = "the response body is not JSON";
    return false;
  }
  if (!out.is_object()) {
    reply.detail = "the response body is not a JSON object";
    return false;
  }
  return true;
}

FailureClass classify_status(long status, bool quota) {
  if (quota || status == 402) return FailureClass::quota_exhausted;
  if (status == 401 || status == 403) return FailureClass::key_rejected;
  if (status == 429 || status == 529) return FailureClass::rate_limited;
  if (status == 408 || status == 409 || status == 425 || status >= 500) return FailureClass::retry;
  return FailureClass::rejected;
}

}  // namespace examq::ai
