#pragma once
// What a model's family allows and needs, from its name: whether it takes a temperature or a
// reasoning effort, and how many output tokens its answer needs by default. The rules are the
// providers' documented ones; a name that matches none gets the plain chat-model behaviour.

#include <string_view>

#include "ai/ai_config.h"

namespace examq::ai {

// OpenAI's reasoning models: gpt-5* (except the gpt-5-chat* chat models) and the o-series o1,
// o3, o4 (o1, o1-mini, o3-pro, o4-mini...). A provider prefix ("openai/gpt-5") is ignored;
// case does not matter.
bool is_openai_reasoning_model(std::string_view model);

// False for the models that refuse a temperature other than the default (OpenAI's reasoning
// models answer 400 to one); true otherwise (Anthropic's models, OpenAI's chat models and the
// compatible servers).
bool accepts_temperature(Provider provider, std::string_view model);

// True for the models that take `reasoning_effort` (OpenAI's reasoning models).
bool accepts_reasoning_effort(Provider provider, std::string_view model);

// The default output token limit: 32768 for OpenAI's reasoning models (their hidden reasoning
// is counted in the same limit, so 8192 often leaves no room for the answer), 8192 otherwise.
int default_max_output_tokens(Provider provider, std::string_view model);

}  // namespace examq::ai
