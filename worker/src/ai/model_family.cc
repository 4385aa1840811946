#include "ai/model_family.h"

#include <string>

namespace examq::ai {
namespace {

std::string base_name(std::string_view model) {
  std::size_t slash = model.rfind('/');
  if (slash != std::string_view::npos) model.remove_prefix(slash + 1);
  std::string out(model);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

bool is_openai_reasoning_model(std::string_view model) {
  const std::string m = base_name(model);
  if (starts_with(m, "gpt-5")) return !starts_with(m, "gpt-5-chat");
  for (std::string_view o : {"o1", "o3", "o4"}) {
    if (m == o || starts_with(m, std::string(o) + "-")) return true;
  }
  return false;
}

bool accepts_temperature(Provider provider, std::string_view model) {
  return provider != Provider::openai || !is_openai_reasoning_model(model);
}

bool accepts_reasoning_effort(Provider provider, std::string_view model) {
  return provider == Provider::openai && is_openai_reasoning_model(model);
}

int default_max_output_tokens(Provider provider, std::string_view model) {
  return accepts_reasoning_effort(provider, model) ? 32768 : 8192;
}

int prompt_cache_min_tokens(Provider provider, std::string_view model) {
  if (provider != Provider::anthropic) return 1024;
  const std::string m = base_name(model);
  auto has = [&m](std::string_view part) { return m.find(part) != std::string::npos; };
  if (has("opus-4-5") || has("opus-4-6") || has("haiku-4")) return 4096;
  if (has("haiku")) return 2048;  // claude-3-haiku, claude-3-5-haiku
  return 1024;
}

}  // namespace examq::ai
