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

// The shortest prefix, in tokens, the provider's prompt cache stores for this model. Anthropic
// (its prompt caching page, checked 2026-12): 4096 for Claude Opus 4.6 and 4.5 and Haiku 4.5,
// 2048 for Haiku 3.5 and 3, 1024 for Sonnet 4.6, 4.5, 4 and 3.7 and Opus 4.1 and 4 (and for
// names matching none: a cache_control on a shorter prefix is ignored, not refused). OpenAI
// (automatic prompt caching): 1024 for every model.
int prompt_cache_min_tokens(Provider provider, std::string_view model);

}  // namespace examq::ai
