#include "ai/provider_api.h"

#include "ai/anthropic_api.h"
#include "ai/openai_api.h"

namespace examq::ai {

std::unique_ptr<ProviderApi> make_provider_api(const AiConfig& config) {
  if (config.provider == Provider::anthropic) return std::make_unique<AnthropicApi>(config);
  return std::make_unique<OpenAiApi>(config);
}

FailureClass classify_status(long status, bool quota) {
  if (quota || status == 402) return FailureClass::quota_exhausted;
  if (status == 401 || status == 403) return FailureClass::key_rejected;
  if (status == 429 || status == 529) return FailureClass::rate_limited;
  if (status == 408 || status == 409 || status == 425 || status >= 500) return FailureClass::retry;
  return FailureClass::rejected;
}

}  // namespace examq::ai
