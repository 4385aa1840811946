#include "ai/ai_config.h"

#include <curl/curl.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "ai/model_family.h"

namespace examq::ai {
namespace {

constexpr std::string_view kOpenAiUrl = "https://api.openai.com/v1";
constexpr std::string_view kAnthropicUrl = "https://api.anthropic.com";

[[noreturn]] void reject(const std::string& what) { throw std::invalid_argument(what); }

int read_int(const EnvLookup& env, const char* name, int fallback, int min, int max) {
  std::optional<std::string> text = env(name);
  if (!text) return fallback;
  int value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    reject(std::string(name) + "=\"" + *text + "\" is not a whole number");
  }
  if (value < min || value > max) {
    reject(std::string(name) + "=" + *text + " is out of range (" + std::to_string(min) + " to " +
           std::to_string(max) + ")");
  }
  return value;
}

util::Duration read_duration(const EnvLookup& env, const char* name, util::Duration fallback) {
  std::optional<std::string> text = env(name);
  if (!text) return fallback;
  try {
    return util::parse_duration(*text);
  } catch (const std::invalid_argument& e) {
    reject(std::string(name) + ": " + e.what());
  }
}

bool read_bool(const EnvLookup& env, const char* name, bool fallback) {
  std::optional<std::string> text = env(name);
  if (!text) return fallback;
  if (*text == "true" || *text == "1" || *text == "yes" || *text == "on") return true;
  if (*text == "false" || *text == "0" || *text == "no" || *text == "off") return false;
  reject(std::string(name) + "=\"" + *text + "\" is not a boolean (use true or false)");
}

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};

// The URL's part, or nullopt when it has none.
std::optional<std::string> url_part(CURLU* url, CURLUPart part) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, 0) != CURLUE_OK || raw == nullptr) return std::nullopt;
  std::unique_ptr<char, CurlStringDeleter> owned(raw);
  return std::string(raw);
}

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "[::1]" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string strip_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string_view provider_name(Provider p) { return p == Provider::openai ? "openai" : "anthropic"; }

EnvLookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

std::optional<AiConfig> ai_config_from_env(const EnvLookup& env) {
  std::string extractor = env("EXAMQ_EXTRACTOR").value_or("text");
  AiConfig c;
  if (extractor == "text") return std::nullopt;
  if (extractor == "openai") {
    c.provider = Provider::openai;
  } else if (extractor == "anthropic") {
    c.provider = Provider::anthropic;
  } else {
    reject("EXAMQ_EXTRACTOR=\"" + extractor + "\" is not an extractor (use text, openai or anthropic)");
  }
  const bool openai = c.provider == Provider::openai;

  c.base_url = strip_trailing_slashes(env("EXAMQ_AI_BASE_URL").value_or(std::string(openai ? kOpenAiUrl : kAnthropicUrl)));
  c.model = env("EXAMQ_AI_MODEL").value_or("");
  const char* provider_key_var = openai ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY";
  if (auto key = env("EXAMQ_AI_API_KEY")) {
    c.api_key = *key;
    c.api_key_source = "EXAMQ_AI_API_KEY";
  } else if (auto provider_key = env(provider_key_var)) {
    c.api_key = *provider_key;
    c.api_key_source = provider_key_var;
  }

  c.pages_per_request = read_int(env, "EXAMQ_AI_PAGES_PER_REQUEST", c.pages_per_request, 1, 100);
  c.requests_per_job = read_int(env, "EXAMQ_AI_REQUESTS_PER_JOB", c.requests_per_job, 1, 256);
  c.requests_per_worker = read_int(env, "EXAMQ_AI_REQUESTS_PER_WORKER", c.requests_per_worker, 1, 4096);
  c.request_timeout = read_duration(env, "EXAMQ_AI_REQUEST_TIMEOUT", c.request_timeout);
  c.connect_timeout = read_duration(env, "EXAMQ_AI_CONNECT_TIMEOUT", c.connect_timeout);
  c.request_max_time = read_duration(env, "EXAMQ_AI_REQUEST_MAX_TIME", c.request_max_time);
  if (std::optional<std::string> s = env("EXAMQ_AI_STREAM")) {
    if (*s == "auto") {
      c.stream = StreamMode::automatic;
    } else if (*s == "on") {
      c.stream = StreamMode::on;
    } else if (*s == "off") {
      c.stream = StreamMode::off;
    } else {
      reject("EXAMQ_AI_STREAM=\"" + *s + "\" is not auto, on or off");
    }
  }
  c.job_deadline = read_duration(env, "EXAMQ_AI_JOB_DEADLINE", c.job_deadline);
  c.max_output_tokens = read_int(env, "EXAMQ_AI_MAX_OUTPUT_TOKENS", default_max_output_tokens(c.provider, c.model), 1, 1000000);
  if (std::optional<std::string> t = env("EXAMQ_AI_TEMPERATURE")) {
    if (*t == "default") {
      c.temperature.reset();
    } else {
      char* end = nullptr;
      double v = std::strtod(t->c_str(), &end);
      if (end == t->c_str() || *end != '\0' || !(v >= 0 && v <= 2)) {
        reject("EXAMQ_AI_TEMPERATURE=\"" + *t + "\" is not a number from 0 to 2 (or \"default\")");
      }
      c.temperature = v;
    }
  }
  c.reasoning_effort = env("EXAMQ_AI_REASONING_EFFORT").value_or("");
  c.max_retries = read_int(env, "EXAMQ_AI_MAX_RETRIES", c.max_retries, 0, 100);
  c.retry_base_delay = read_duration(env, "EXAMQ_AI_RETRY_BASE_DELAY", c.retry_base_delay);
  c.retry_max_delay = read_duration(env, "EXAMQ_AI_RETRY_MAX_DELAY", c.retry_max_delay);
  c.anthropic_version = env("EXAMQ_AI_ANTHROPIC_VERSION").value_or(c.anthropic_version);
  c.openai_max_tokens_field = env("EXAMQ_AI_MAX_TOKENS_FIELD")
                                  .value_or(c.base_url == kOpenAiUrl ? "max_completion_tokens" : "max_tokens");
  c.answer_cache_entries = read_int(env, "EXAMQ_AI_ANSWER_CACHE", c.answer_cache_entries, 0, 1000000);
  c.allow_insecure_http = read_bool(env, "EXAMQ_AI_ALLOW_INSECURE_HTTP", c.allow_insecure_http);
  c.cache_warmup = read_bool(env, "EXAMQ_AI_CACHE_WARMUP", c.cache_warmup);
  c.ca_file = env("EXAMQ_AI_CA_FILE").value_or("");
  c.max_snoozes = read_int(env, "EXAMQ_AI_MAX_SNOOZES", c.max_snoozes, 0, 1000000);
  c.max_snooze_time = read_duration(env, "EXAMQ_AI_MAX_SNOOZE_TIME", c.max_snooze_time);
  if (env("EXAMQ_AI_CONTEXT_TOKENS")) c.context_tokens = read_int(env, "EXAMQ_AI_CONTEXT_TOKENS", 0, 1024, 10000000);
  if (env("EXAMQ_AI_IMAGE_TOKENS")) c.image_tokens = read_int(env, "EXAMQ_AI_IMAGE_TOKENS", 0, 1, 100000);

  if (c.model.empty()) {
    reject(std::string("EXAMQ_AI_MODEL is required with EXAMQ_EXTRACTOR=") + extractor + " (e.g. " +
           (openai ? "gpt-4o" : "claude-sonnet-4-5") + ")");
  }
  validate(c);
  return c;
}

void validate(const AiConfig& c) {
  if (c.model.empty()) reject("the AI model is not set (EXAMQ_AI_MODEL)");

  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (!url) throw std::bad_alloc();
  if (c.base_url.empty() || curl_url_set(url.get(), CURLUPART_URL, c.base_url.c_str(), 0) != CURLUE_OK) {
    reject("EXAMQ_AI_BASE_URL=\"" + c.base_url + "\" is not a URL (expected e.g. " + std::string(kOpenAiUrl) + ")");
  }
  std::string scheme = url_part(url.get(), CURLUPART_SCHEME).value_or("");
  std::string host = url_part(url.get(), CURLUPART_HOST).value_or("");
  if (scheme != "https" && scheme != "http") {
    reject("EXAMQ_AI_BASE_URL must start with https:// (or http:// for a local server), not " + scheme + "://");
  }
  if (host.empty()) reject("EXAMQ_AI_BASE_URL has no host");
  if (url_part(url.get(), CURLUPART_USER) || url_part(url.get(), CURLUPART_PASSWORD)) {
    reject("EXAMQ_AI_BASE_URL must not contain credentials: put the key in EXAMQ_AI_API_KEY");
  }
  if (url_part(url.get(), CURLUPART_QUERY) || url_part(url.get(), CURLUPART_FRAGMENT)) {
    reject("EXAMQ_AI_BASE_URL must not have a query or fragment (request paths are appended to it)");
  }
  if (scheme == "http" && !is_loopback_host(host) && !c.allow_insecure_http) {
    reject("EXAMQ_AI_BASE_URL uses plain http to " + host +
           ", which would send the API key and the exam pages unencrypted: use https, or set "
           "EXAMQ_AI_ALLOW_INSECURE_HTTP=true for a trusted network");
  }
  const bool official_host = host == "api.openai.com" || host == "api.anthropic.com";
  if (c.api_key.empty() && official_host) {
    reject(std::string("no API key for ") + host + ": set EXAMQ_AI_API_KEY or " +
           (c.provider == Provider::openai ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY"));
  }
  for (char ch : c.api_key) {
    if (static_cast<unsigned char>(ch) < 0x21 || ch == 0x7f) {
      reject("the API key (" + c.api_key_source + ") contains whitespace or control characters");
    }
  }
  if (c.pages_per_request < 1) reject("EXAMQ_AI_PAGES_PER_REQUEST must be at least 1");
  if (c.requests_per_job < 1) reject("EXAMQ_AI_REQUESTS_PER_JOB must be at least 1");
  if (c.requests_per_worker < 1) reject("EXAMQ_AI_REQUESTS_PER_WORKER must be at least 1");
  if (c.request_timeout <= util::Duration::zero()) reject("EXAMQ_AI_REQUEST_TIMEOUT must be more than 0");
  if (c.connect_timeout <= util::Duration::zero()) reject("EXAMQ_AI_CONNECT_TIMEOUT must be more than 0");
  if (c.request_max_time <= util::Duration::zero()) reject("EXAMQ_AI_REQUEST_MAX_TIME must be more than 0");
  if (c.job_deadline <= util::Duration::zero()) reject("EXAMQ_AI_JOB_DEADLINE must be more than 0");
  if (c.max_output_tokens < 1) reject("EXAMQ_AI_MAX_OUTPUT_TOKENS must be at least 1");
  if (c.max_retries < 0) reject("EXAMQ_AI_MAX_RETRIES must not be negative");
  if (c.retry_max_delay < c.retry_base_delay) {
    reject("EXAMQ_AI_RETRY_MAX_DELAY must not be shorter than EXAMQ_AI_RETRY_BASE_DELAY");
  }
  if (c.provider == Provider::anthropic) {
    if (c.anthropic_version.empty()) reject("EXAMQ_AI_ANTHROPIC_VERSION must not be empty");
    for (char ch : c.anthropic_version) {
      if (static_cast<unsigned char>(ch) < 0x21 || ch == 0x7f) {
        reject("EXAMQ_AI_ANTHROPIC_VERSION contains whitespace or control characters");
      }
    }
  }
  if (c.provider == Provider::openai && c.openai_max_tokens_field != "max_tokens" &&
      c.openai_max_tokens_field != "max_completion_tokens") {
    reject("EXAMQ_AI_MAX_TOKENS_FIELD must be max_tokens or max_completion_tokens");
  }
  if (c.answer_cache_entries < 0) reject("EXAMQ_AI_ANSWER_CACHE must not be negative");
  if (c.temperature && !(*c.temperature >= 0 && *c.temperature <= (c.provider == Provider::anthropic ? 1.0 : 2.0))) {
    reject(std::string("EXAMQ_AI_TEMPERATURE must be from 0 to ") + (c.provider == Provider::anthropic ? "1 for anthropic" : "2"));
  }
  if (!c.reasoning_effort.empty() && c.reasoning_effort != "minimal" && c.reasoning_effort != "low" &&
      c.reasoning_effort != "medium" && c.reasoning_effort != "high") {
    reject("EXAMQ_AI_REASONING_EFFORT=\"" + c.reasoning_effort + "\" is not minimal, low, medium or high");
  }
  if (c.max_snoozes < 0) reject("EXAMQ_AI_MAX_SNOOZES must not be negative");
  if (c.max_snooze_time < util::Duration::zero()) reject("EXAMQ_AI_MAX_SNOOZE_TIME must not be negative");
  if (c.context_tokens && *c.context_tokens < 1024) reject("EXAMQ_AI_CONTEXT_TOKENS must be at least 1024");
  if (c.image_tokens && *c.image_tokens < 1) reject("EXAMQ_AI_IMAGE_TOKENS must be at least 1");
  if (!c.ca_file.empty() && !std::ifstream(c.ca_file).good()) {
    reject("EXAMQ_AI_CA_FILE=\"" + c.ca_file + "\" cannot be read");
  }
}

}  // namespace examq::ai
