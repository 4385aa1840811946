// The ai part's pieces on their own: configuration, batching, retries, answer validation,
// merging, redaction, the request limiter and the answer cache.
#define BOOST_TEST_MODULE ai_unit
#include <boost/test/unit_test.hpp>

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <functional>
#include <chrono>
#include <map>

#include "ai/ai_config.h"
#include "ai/answer_cache.h"
#include "ai/answer_parser.h"
#include "ai/base64.h"
#include "ai/batch_plan.h"
#include "ai/ai_error.h"
#include "ai/context_budget.h"
#include "ai/extraction_prompt.h"
#include "ai/image_fit.h"
#include "ai/model_family.h"
#include "ai/provider_limits.h"
#include "ai/question_merge.h"
#include "ai/redact.h"
#include "ai/request_limiter.h"
#include "ai/retry_policy.h"
#include "pdf/image_sandbox.h"
#include "ai/sse_reader.h"
#include "ai/streaming.h"
#include "test_support.h"

using namespace examq;
using namespace examq::ai;
using namespace std::chrono_literals;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

std::string config_error(std::map<std::string, std::string> vars) {
  try {
    ai_config_from_env(env_of(std::move(vars)));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

AiQuestion row(std::string number, int page, std::string text, std::optional<int> marks = std::nullopt,
               std::vector<std::string> topics = {}) {
  AiQuestion q;
  q.question.number = std::move(number);
  q.question.page_number = page;
  q.question.text = std::move(text);
  q.question.marks = marks;
  q.question.source = "ai";
  q.topic_ids = std::move(topics);
  return q;
}

std::string parse_error(const std::string& json, std::vector<int> pages = {1, 2}) {
  try {
    parse_answer(tao::json::from_string(json), pages, {});
  } catch (const InvalidAnswer& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(configuration)

BOOST_AUTO_TEST_CASE(the_text_extractor_needs_no_ai_configuration) {
  BOOST_TEST(!ai_config_from_env(env_of({})));
  BOOST_TEST(!ai_config_from_env(env_of({{"EXAMQ_EXTRACTOR", "text"}})));
}

BOOST_AUTO_TEST_CASE(openai_defaults_and_the_provider_key_variable) {
  auto c = ai_config_from_env(env_of({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "gpt-4o"}, {"OPENAI_API_KEY", "sk-a"}}));
  BOOST_REQUIRE(c);
  BOOST_TEST((c->provider == Provider::openai));
  BOOST_TEST(c->base_url == "https://api.openai.com/v1");
  BOOST_TEST(c->api_key == "sk-a");
  BOOST_TEST(c->api_key_source == "OPENAI_API_KEY");
  BOOST_TEST(c->pages_per_request == 8);
  BOOST_TEST(c->openai_max_tokens_field == "max_completion_tokens");
  BOOST_TEST(c->max_snoozes == 10);
  BOOST_TEST((c->max_snooze_time == std::chrono::hours(1)));
}

BOOST_AUTO_TEST_CASE(model_families_decide_temperature_effort_and_the_output_limit) {
  for (const char* m : {"gpt-5", "gpt-5-mini", "GPT-5.1", "openai/gpt-5-nano", "o1", "o1-mini", "o3-pro", "o4-mini"}) {
    BOOST_TEST_CONTEXT(m) {
      BOOST_TEST(is_openai_reasoning_model(m));
      BOOST_TEST(!accepts_temperature(Provider::openai, m));
      BOOST_TEST(accepts_reasoning_effort(Provider::openai, m));
      BOOST_TEST(default_max_output_tokens(Provider::openai, m) == 32768);
    }
  }
  for (const char* m : {"gpt-5-chat-latest", "gpt-4o", "gpt-4.1-mini", "llama3.2-vision", "omni-7b", "o10"}) {
    BOOST_TEST_CONTEXT(m) {
      BOOST_TEST(!is_openai_reasoning_model(m));
      BOOST_TEST(accepts_temperature(Provider::openai, m));
      BOOST_TEST(default_max_output_tokens(Provider::openai, m) == 8192);
    }
  }
  BOOST_TEST(accepts_temperature(Provider::anthropic, "claude-sonnet-4-5"));
  BOOST_TEST(!accepts_reasoning_effort(Provider::anthropic, "o3"));
}

BOOST_AUTO_TEST_CASE(temperature_effort_and_the_output_limit_are_read) {
  std::map<std::string, std::string> base = {{"EXAMQ_EXTRACTOR", "openai"}, {"OPENAI_API_KEY", "k"}};
  auto with = [&](std::map<std::string, std::string> more) {
    auto vars = base;
    vars.insert(more.begin(), more.end());
    return ai_config_from_env(env_of(vars));
  };
  auto reasoning = with({{"EXAMQ_AI_MODEL", "gpt-5"}, {"EXAMQ_AI_REASONING_EFFORT", "minimal"}});
  BOOST_TEST(reasoning->max_output_tokens == 32768);
  BOOST_TEST(reasoning->reasoning_effort == "minimal");
  BOOST_TEST((reasoning->temperature == std::optional<double>(0.0)));
  auto chat = with({{"EXAMQ_AI_MODEL", "gpt-4o"}, {"EXAMQ_AI_TEMPERATURE", "0.3"}, {"EXAMQ_AI_MAX_OUTPUT_TOKENS", "4000"}});
  BOOST_TEST(chat->max_output_tokens == 4000);
  BOOST_TEST((chat->temperature == std::optional<double>(0.3)));
  BOOST_TEST(!with({{"EXAMQ_AI_MODEL", "gpt-4o"}, {"EXAMQ_AI_TEMPERATURE", "default"}})->temperature);
  base["EXAMQ_AI_MODEL"] = "m";
  BOOST_TEST(contains(config_error({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"}, {"OPENAI_API_KEY", "k"},
                                    {"EXAMQ_AI_TEMPERATURE", "warm"}}),
                      "EXAMQ_AI_TEMPERATURE"));
  BOOST_TEST(contains(config_error({{"EXAMQ_EXTRACTOR", "anthropic"}, {"EXAMQ_AI_MODEL", "m"}, {"ANTHROPIC_API_KEY", "k"},
                                    {"EXAMQ_AI_TEMPERATURE", "1.5"}}),
                      "from 0 to 1 for anthropic"));
  BOOST_TEST(contains(config_error({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"}, {"OPENAI_API_KEY", "k"},
                                    {"EXAMQ_AI_REASONING_EFFORT", "max"}}),
                      "EXAMQ_AI_REASONING_EFFORT=\"max\" is not minimal, low, medium or high"));
}

BOOST_AUTO_TEST_CASE(prompt_cache_minimums_follow_the_model_family_and_the_stable_prefix_reaches_1024) {
  BOOST_TEST(prompt_cache_min_tokens(Provider::anthropic, "claude-sonnet-4-5-20250929") == 1024);
  BOOST_TEST(prompt_cache_min_tokens(Provider::anthropic, "claude-opus-4-1") == 1024);
  BOOST_TEST(prompt_cache_min_tokens(Provider::anthropic, "claude-3-5-haiku-20241022") == 2048);
  BOOST_TEST(prompt_cache_min_tokens(Provider::anthropic, "claude-3-haiku-20240307") == 2048);
  BOOST_TEST(prompt_cache_min_tokens(Provider::anthropic, "claude-haiku-4-5") == 4096);
  BOOST_TEST(prompt_cache_min_tokens(Provider::anthropic, "claude-opus-4-5-20251101") == 4096);
  BOOST_TEST(prompt_cache_min_tokens(Provider::anthropic, "Claude-Opus-4-6") == 4096);
  BOOST_TEST(prompt_cache_min_tokens(Provider::openai, "gpt-4o") == 1024);

  // The stable prefix: the same with or without topics, long enough for 1024 with a margin (the
  // estimate is characters / 4), and without the examples (a counted local context) far shorter.
  const ExtractionPrompt plain = make_extraction_prompt({});
  const ExtractionPrompt tagged = make_extraction_prompt({Topic{"id", "3.1", "Atomic structure"}});
  BOOST_TEST(plain.stable_instructions == tagged.stable_instructions);
  BOOST_TEST(tagged.instructions == tagged.stable_instructions + tagged.job_instructions);
  BOOST_TEST(plain.job_instructions.empty());
  BOOST_TEST(stable_prefix_token_estimate(plain, true) >= 1200);
  BOOST_TEST(stable_prefix_token_estimate(plain, true) < 2048);
  BOOST_TEST(stable_prefix_token_estimate(make_extraction_prompt({}, false), true) < 1024);
}

BOOST_AUTO_TEST_CASE(the_cache_warmup_setting_is_read) {
  std::map<std::string, std::string> vars = {{"EXAMQ_EXTRACTOR", "anthropic"}, {"EXAMQ_AI_MODEL", "m"}, {"ANTHROPIC_API_KEY", "k"}};
  BOOST_TEST(ai_config_from_env(env_of(vars))->cache_warmup);
  vars["EXAMQ_AI_CACHE_WARMUP"] = "off";
  BOOST_TEST(!ai_config_from_env(env_of(vars))->cache_warmup);
  vars["EXAMQ_AI_CACHE_WARMUP"] = "on";
  BOOST_TEST(ai_config_from_env(env_of(vars))->cache_warmup);
  vars["EXAMQ_AI_CACHE_WARMUP"] = "later";
  BOOST_TEST(contains(config_error(vars), "EXAMQ_AI_CACHE_WARMUP"));
}

BOOST_AUTO_TEST_CASE(the_snooze_budget_is_read) {
  auto c = ai_config_from_env(env_of({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "gpt-4o"}, {"OPENAI_API_KEY", "sk-a"},
                                      {"EXAMQ_AI_MAX_SNOOZES", "0"}, {"EXAMQ_AI_MAX_SNOOZE_TIME", "90s"}}));
  BOOST_REQUIRE(c);
  BOOST_TEST(c->max_snoozes == 0);
  BOOST_TEST((c->max_snooze_time == std::chrono::seconds(90)));
  BOOST_TEST(contains(config_error({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"}, {"OPENAI_API_KEY", "k"},
                                    {"EXAMQ_AI_MAX_SNOOZES", "-1"}}),
                      "EXAMQ_AI_MAX_SNOOZES"));
}

BOOST_AUTO_TEST_CASE(anthropic_defaults_and_the_examq_key_first) {
  auto c = ai_config_from_env(env_of({{"EXAMQ_EXTRACTOR", "anthropic"},
                                      {"EXAMQ_AI_MODEL", "claude-x"},
                                      {"ANTHROPIC_API_KEY", "provider"},
                                      {"EXAMQ_AI_API_KEY", "examq"},
                                      {"EXAMQ_AI_PAGES_PER_REQUEST", "4"},
                                      {"EXAMQ_AI_REQUEST_TIMEOUT", "90s"},
                                      {"EXAMQ_AI_JOB_DEADLINE", "20m"}}));
  BOOST_REQUIRE(c);
  BOOST_TEST((c->provider == Provider::anthropic));
  BOOST_TEST(c->base_url == "https://api.anthropic.com");
  BOOST_TEST(c->api_key == "examq");
  BOOST_TEST(c->api_key_source == "EXAMQ_AI_API_KEY");
  BOOST_TEST(c->pages_per_request == 4);
  BOOST_TEST((c->request_timeout == 90s));
  BOOST_TEST((c->job_deadline == 20min));
  BOOST_TEST(c->anthropic_version == "2023-06-01");
}

BOOST_AUTO_TEST_CASE(a_local_compatible_server_needs_no_key_and_gets_max_tokens) {
  auto c = ai_config_from_env(env_of(
      {{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "llama3.2-vision"}, {"EXAMQ_AI_BASE_URL", "http://localhost:11434/v1/"}}));
  BOOST_REQUIRE(c);
  BOOST_TEST(c->base_url == "http://localhost:11434/v1");
  BOOST_TEST(c->api_key.empty());
  BOOST_TEST(c->openai_max_tokens_field == "max_tokens");
}

BOOST_AUTO_TEST_CASE(a_missing_key_for_the_providers_own_host_is_rejected) {
  std::string e = config_error({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "gpt-4o"}});
  BOOST_TEST(contains(e, "no API key for api.openai.com"), e);
  BOOST_TEST(contains(e, "OPENAI_API_KEY"), e);
  e = config_error({{"EXAMQ_EXTRACTOR", "anthropic"}, {"EXAMQ_AI_MODEL", "claude"}});
  BOOST_TEST(contains(e, "ANTHROPIC_API_KEY"), e);
}

BOOST_AUTO_TEST_CASE(a_missing_model_is_rejected) {
  std::string e = config_error({{"EXAMQ_EXTRACTOR", "openai"}, {"OPENAI_API_KEY", "k"}});
  BOOST_TEST(contains(e, "EXAMQ_AI_MODEL is required"), e);
}

BOOST_AUTO_TEST_CASE(an_unknown_extractor_is_rejected) {
  BOOST_TEST(contains(config_error({{"EXAMQ_EXTRACTOR", "gemini"}}), "use text, openai or anthropic"));
}

BOOST_AUTO_TEST_CASE(bad_urls_are_rejected_with_the_reason) {
  auto with_url = [](const std::string& url) {
    return config_error({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"}, {"OPENAI_API_KEY", "k"}, {"EXAMQ_AI_BASE_URL", url}});
  };
  BOOST_TEST(contains(with_url("ftp://example.com/v1"), "must start with https://"));
  BOOST_TEST(contains(with_url("not a url"), "is not a URL"));
  BOOST_TEST(contains(with_url("https://user:pw@example.com/v1"), "must not contain credentials"));
  BOOST_TEST(contains(with_url("https://example.com/v1?api-version=1"), "must not have a query"));
  BOOST_TEST(contains(with_url("http://example.com/v1"), "unencrypted"));
  BOOST_TEST(with_url("https://example.com/v1").empty());
  BOOST_TEST(with_url("http://127.0.0.1:8000/v1").empty());
}

BOOST_AUTO_TEST_CASE(plain_http_to_another_host_needs_the_opt_in) {
  auto c = ai_config_from_env(env_of({{"EXAMQ_EXTRACTOR", "openai"},
                                      {"EXAMQ_AI_MODEL", "m"},
                                      {"EXAMQ_AI_BASE_URL", "http://gpu-box.lan:8000/v1"},
                                      {"EXAMQ_AI_ALLOW_INSECURE_HTTP", "true"}}));
  BOOST_REQUIRE(c);
  BOOST_TEST(c->allow_insecure_http);
}

BOOST_AUTO_TEST_CASE(bad_numbers_and_durations_name_the_variable) {
  std::map<std::string, std::string> base = {{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"}, {"OPENAI_API_KEY", "k"}};
  auto with = [&](const std::string& k, const std::string& v) {
    auto vars = base;
    vars[k] = v;
    return config_error(vars);
  };
  BOOST_TEST(contains(with("EXAMQ_AI_PAGES_PER_REQUEST", "eight"), "EXAMQ_AI_PAGES_PER_REQUEST=\"eight\" is not a whole number"));
  BOOST_TEST(contains(with("EXAMQ_AI_PAGES_PER_REQUEST", "0"), "out of range"));
  BOOST_TEST(contains(with("EXAMQ_AI_REQUEST_TIMEOUT", "90"), "EXAMQ_AI_REQUEST_TIMEOUT"));
  BOOST_TEST(contains(with("EXAMQ_AI_JOB_DEADLINE", "0"), "EXAMQ_AI_JOB_DEADLINE must be more than 0"));
  BOOST_TEST(contains(with("EXAMQ_AI_ALLOW_INSECURE_HTTP", "maybe"), "not a boolean"));
  BOOST_TEST(contains(with("EXAMQ_AI_MAX_TOKENS_FIELD", "tokens"), "max_tokens or max_completion_tokens"));
}

BOOST_AUTO_TEST_CASE(an_unreadable_ca_file_is_rejected) {
  std::string e = config_error({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"}, {"OPENAI_API_KEY", "k"},
                                {"EXAMQ_AI_CA_FILE", "/nonexistent/ca.pem"}});
  BOOST_TEST(contains(e, "EXAMQ_AI_CA_FILE=\"/nonexistent/ca.pem\" cannot be read"), e);
}

BOOST_AUTO_TEST_CASE(a_key_with_a_line_break_is_rejected) {
  std::string e = config_error({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"}, {"OPENAI_API_KEY", "sk-abc\r\nX-Evil: 1"}});
  BOOST_TEST(contains(e, "whitespace or control characters"), e);
  BOOST_TEST(!contains(e, "sk-abc"), e);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(context_budget)

AiConfig local_config(std::optional<int> context) {
  AiConfig c;
  c.model = "qwen2.5vl:7b";
  c.base_url = "http://localhost:11434/v1";
  c.context_tokens = context;
  return c;
}

BOOST_AUTO_TEST_CASE(the_context_and_image_token_settings_are_read_and_checked) {
  auto c = ai_config_from_env(env_of({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"},
                                      {"EXAMQ_AI_BASE_URL", "http://localhost:11434/v1"}}));
  BOOST_TEST(!c->context_tokens);
  BOOST_TEST(!c->image_tokens);
  c = ai_config_from_env(env_of({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"},
                                 {"EXAMQ_AI_BASE_URL", "http://localhost:11434/v1"},
                                 {"EXAMQ_AI_CONTEXT_TOKENS", "16384"}, {"EXAMQ_AI_IMAGE_TOKENS", "256"}}));
  BOOST_TEST(*c->context_tokens == 16384);
  BOOST_TEST(*c->image_tokens == 256);
  for (const char* bad : {"512", "lots", "-1"}) {
    BOOST_CHECK_EXCEPTION(ai_config_from_env(env_of({{"EXAMQ_EXTRACTOR", "openai"}, {"EXAMQ_AI_MODEL", "m"},
                                                     {"EXAMQ_AI_BASE_URL", "http://localhost:11434/v1"},
                                                     {"EXAMQ_AI_CONTEXT_TOKENS", bad}})),
                          std::invalid_argument, [](const std::invalid_argument& e) {
                            return std::string(e.what()).find("EXAMQ_AI_CONTEXT_TOKENS") != std::string::npos;
                          });
  }
}

BOOST_AUTO_TEST_CASE(a_page_costs_the_providers_published_image_estimate) {
  AiConfig c = local_config(std::nullopt);
  PageImage a4{1, 1240, 1754, ""};
  BOOST_TEST(image_token_estimate(c, a4) == 85 + 170 * 6);  // 768 x 1086: 2 x 3 tiles
  BOOST_TEST(image_token_estimate(c, PageImage{1, 0, 0, ""}) == 1105);  // unknown size: A4 at 150 DPI
  BOOST_TEST(image_token_estimate(c, PageImage{1, 400, 300, ""}) == 85 + 170 * 1);
  c.provider = Provider::anthropic;
  BOOST_TEST(image_token_estimate(c, a4) == 2318);  // 1108.5 x 1568 / 750, rounded up
  c.image_tokens = 256;
  BOOST_TEST(image_token_estimate(c, a4) == 256);
}

BOOST_AUTO_TEST_CASE(the_prompt_estimate_counts_text_by_characters_and_images_by_their_estimate) {
  AiConfig c = local_config(std::nullopt);
  c.image_tokens = 100;
  PageImage page{1, 0, 0, std::string(300, 'x')};  // 400 base64 characters
  HttpRequest r;
  r.body = std::string(400 + 4000, 'a');
  BOOST_TEST(prompt_token_estimate(c, r, {&page}) == 1000 + 100);
}

BOOST_AUTO_TEST_CASE(the_prompt_budget_leaves_room_for_the_answer) {
  BOOST_TEST(!prompt_token_budget(local_config(std::nullopt)));
  AiConfig c = local_config(16384);
  c.max_output_tokens = 8192;
  BOOST_TEST(*prompt_token_budget(c) == 16384 - 4096);  // a quarter of the context
  c.max_output_tokens = 2000;
  BOOST_TEST(*prompt_token_budget(c) == 16384 - 2000);
}

BOOST_AUTO_TEST_CASE(pages_per_request_shrink_to_fit_the_context) {
  AiConfig c = local_config(std::nullopt);
  c.image_tokens = 1000;
  std::vector<PageImage> pages(10, PageImage{1, 0, 0, ""});
  BOOST_TEST(pages_per_request_within_context(c, 1000, pages) == 8);  // no context: unchanged
  c.context_tokens = 8192;  // 6144 for the prompt
  BOOST_TEST(pages_per_request_within_context(c, 1000, pages) == 5);
  c.context_tokens = 65536;
  BOOST_TEST(pages_per_request_within_context(c, 1000, pages) == 8);  // never more than configured
  c.context_tokens = 2048;  // 1536: the instructions and no page
  BOOST_CHECK_THROW(pages_per_request_within_context(c, 1000, pages), AiError);
}

BOOST_AUTO_TEST_CASE(a_cut_prompt_is_told_by_too_few_tokens_or_the_whole_context) {
  AiConfig c = local_config(16384);
  BOOST_TEST(!prompt_cut_error(c, 10000, 9000));   // 90 %: an estimate's error
  BOOST_TEST(!prompt_cut_error(c, 10000, 6000));   // 60 %: still accepted
  BOOST_TEST(!!prompt_cut_error(c, 10000, 5999));  // under 60 %
  BOOST_TEST(!!prompt_cut_error(c, 10000, 4096));
  BOOST_TEST(!!prompt_cut_error(c, 15000, 16384));  // the whole context
  BOOST_TEST(!!prompt_cut_error(c, 15000, 16221));  // within 1 % of it
  BOOST_TEST(!prompt_cut_error(c, 15000, 16219));
  BOOST_TEST(!!prompt_cut_error(c, 3100, 2048));   // 66 %, but Ollama's old default window
  BOOST_TEST(!!prompt_cut_error(c, 5000, 4096));   // 82 %, a window size
  BOOST_TEST(!prompt_cut_error(c, 4500, 4096));    // 91 %: the estimate's error
  BOOST_TEST(!prompt_cut_error(c, 3100, 2047));    // 66 %, not a window size
  BOOST_TEST(!prompt_cut_error(c, 10000, 0));       // no count reported
  BOOST_TEST(!prompt_cut_error(local_config(std::nullopt), 10000, 100));  // not configured
  std::string what = *prompt_cut_error(c, 10000, 4096);
  BOOST_TEST(what.find("raise its context (OLLAMA_CONTEXT_LENGTH / num_ctx, llama.cpp -c, vLLM --max-model-len)") !=
             std::string::npos, what);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(batching)

std::vector<std::pair<int, int>> ranges(int pages, int per) {
  std::vector<std::pair<int, int>> out;
  for (const Batch& b : plan_batches(pages, per)) out.emplace_back(b.first, b.last);
  return out;
}

BOOST_AUTO_TEST_CASE(consecutive_batches_share_one_page) {
  BOOST_TEST((ranges(20, 8) == std::vector<std::pair<int, int>>{{0, 7}, {7, 14}, {14, 19}}));
  BOOST_TEST((ranges(9, 8) == std::vector<std::pair<int, int>>{{0, 7}, {7, 8}}));
  BOOST_TEST((ranges(15, 8) == std::vector<std::pair<int, int>>{{0, 7}, {7, 14}}));
}

BOOST_AUTO_TEST_CASE(a_short_paper_is_one_batch) {
  BOOST_TEST((ranges(8, 8) == std::vector<std::pair<int, int>>{{0, 7}}));
  BOOST_TEST((ranges(1, 8) == std::vector<std::pair<int, int>>{{0, 0}}));
  BOOST_TEST(ranges(0, 8).empty());
}

BOOST_AUTO_TEST_CASE(single_page_batches_do_not_overlap) {
  BOOST_TEST((ranges(3, 1) == std::vector<std::pair<int, int>>{{0, 0}, {1, 1}, {2, 2}}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(provider_limits)

BOOST_AUTO_TEST_CASE(anthropic_allows_8000_px_but_2000_px_once_a_request_has_more_than_20_images) {
  const ProviderLimits& a = limits_for(Provider::anthropic);
  BOOST_TEST(side_limit(a, 1) == 8000);
  BOOST_TEST(side_limit(a, 20) == 8000);
  BOOST_TEST(side_limit(a, 21) == 2000);
  BOOST_TEST(side_limit(limits_for(Provider::openai), 1) == 2048);
  BOOST_TEST(side_limit(limits_for(Provider::openai), 100) == 2048);
}

BOOST_AUTO_TEST_CASE(image_byte_limits_follow_the_base64_length_and_the_request_room) {
  BOOST_TEST(base64_length(0) == 0u);
  BOOST_TEST(base64_length(1) == 4u);
  BOOST_TEST(base64_length(3) == 4u);
  BOOST_TEST(base64_length(4) == 8u);
  // Anthropic: 5 MiB of base64 is 3,932,160 JPEG bytes.
  BOOST_TEST(image_byte_limit(limits_for(Provider::anthropic)) == 3932160u);
  BOOST_TEST(base64_length(image_byte_limit(limits_for(Provider::anthropic))) == 5u * 1024 * 1024);
  // OpenAI: no per-image figure, so whatever fits the 50 MB request beside the prompt.
  const std::size_t openai = image_byte_limit(limits_for(Provider::openai));
  BOOST_TEST(base64_length(openai) <= 50u * 1000 * 1000 - kRequestReserveBytes);
  BOOST_TEST(base64_length(openai + 3) > 50u * 1000 * 1000 - kRequestReserveBytes);
}

BOOST_AUTO_TEST_CASE(fitting_keeps_the_aspect_and_brings_the_longer_side_to_the_limit) {
  BOOST_TEST((fit_within({2479, 3508}, 2000) == Size{1413, 2000}));
  BOOST_TEST((fit_within({3508, 2479}, 2048) == Size{2048, 1447}));
  BOOST_TEST((fit_within({1240, 1754}, 2000) == Size{1240, 1754}));
  BOOST_TEST((fit_within({9000, 10}, 2000) == Size{2000, 2}));
  BOOST_TEST((fit_within({20000, 1}, 2000) == Size{2000, 1}));  // never 0
}

BOOST_AUTO_TEST_CASE(small_images_keep_the_ordinary_plan) {
  std::vector<std::size_t> sizes(20, 300'000);
  int splits = -1;
  std::vector<Batch> b = plan_within_limits(sizes, 8, limits_for(Provider::anthropic), &splits);
  std::vector<Batch> plain = plan_batches(20, 8);
  BOOST_TEST(splits == 0);
  BOOST_REQUIRE_EQUAL(b.size(), plain.size());
  for (std::size_t i = 0; i < b.size(); ++i) {
    BOOST_TEST(b[i].first == plain[i].first);
    BOOST_TEST(b[i].last == plain[i].last);
  }
}

BOOST_AUTO_TEST_CASE(batches_past_the_request_bytes_are_split_with_the_overlap_kept) {
  // The issue's case: 24 pages in one request; at 3.9 MB a page that is 125 MB of base64.
  std::vector<std::size_t> sizes(24, 3'900'000);
  for (Provider p : {Provider::anthropic, Provider::openai}) {
    const ProviderLimits& limits = limits_for(p);
    int splits = 0;
    std::vector<Batch> batches = plan_within_limits(sizes, 24, limits, &splits);
    BOOST_TEST(splits > 0);
    BOOST_TEST(batches.front().first == 0);
    BOOST_TEST(batches.back().last == 23);
    for (std::size_t i = 0; i < batches.size(); ++i) {
      BOOST_TEST(batches[i].index == static_cast<int>(i));
      std::size_t total = 0;
      for (int k = batches[i].first; k <= batches[i].last; ++k) total += base64_length(sizes[static_cast<std::size_t>(k)]);
      BOOST_TEST(total + kRequestReserveBytes <= limits.max_request_bytes);
      if (i > 0) BOOST_TEST(batches[i].first == batches[i - 1].last);  // one shared page, no gap
    }
  }
}

BOOST_AUTO_TEST_CASE(batches_past_the_image_count_are_split) {
  ProviderLimits limits = limits_for(Provider::anthropic);
  limits.max_images = 3;
  int splits = 0;
  std::vector<Batch> batches = plan_within_limits(std::vector<std::size_t>(8, 1000), 8, limits, &splits);
  BOOST_TEST(splits > 0);
  for (const Batch& b : batches) BOOST_TEST(b.last - b.first + 1 <= 3);
  BOOST_TEST(batches.back().last == 7);
}

BOOST_AUTO_TEST_SUITE_END()

// The pixel work of fit_jpeg happens in a sandboxed examq-render child (pdf/image_sandbox.h):
// these tests count the children started, and check that an image the child cannot shrink fails
// with a clear error (an AiError naming the image for the job) instead of being sent or crashing.
BOOST_AUTO_TEST_SUITE(image_fit)

BOOST_AUTO_TEST_CASE(an_oversized_jpeg_is_shrunk_to_the_side_limit_by_a_sandboxed_child) {
  const std::string big = test::real_jpeg(2479, 3508, false);
  BOOST_TEST((jpeg_dimensions(big) == Size{2479, 3508}));
  const long before = pdf::image_children_started();
  std::optional<FittedImage> f = fit_jpeg(big, 2000, 0);
  BOOST_REQUIRE(f);
  BOOST_TEST(pdf::image_children_started() == before + 1);
  BOOST_TEST((f->size == Size{1413, 2000}));
  BOOST_TEST((jpeg_dimensions(f->jpeg) == Size{1413, 2000}));
}

BOOST_AUTO_TEST_CASE(a_jpeg_over_the_byte_limit_is_shrunk_until_it_fits_in_one_child) {
  const std::string heavy = test::real_jpeg(1600, 1600, true);  // noise: about 2 MB
  BOOST_REQUIRE_GT(heavy.size(), 1'000'000u);
  const long before = pdf::image_children_started();
  std::optional<FittedImage> f = fit_jpeg(heavy, 8000, 500'000);
  BOOST_REQUIRE(f);
  BOOST_TEST(pdf::image_children_started() == before + 1);  // every try in the same child
  BOOST_TEST(f->jpeg.size() <= 500'000u);
  BOOST_TEST(f->size.width < 1600);
  BOOST_TEST((jpeg_dimensions(f->jpeg) == f->size));
}

BOOST_AUTO_TEST_CASE(an_image_within_the_limits_is_left_alone_and_starts_no_child) {
  const long before = pdf::image_children_started();
  BOOST_TEST(!fit_jpeg(test::real_jpeg(800, 600, false), 2000, 5'000'000));
  BOOST_TEST(!fit_jpeg(test::fake_jpeg(1, 60'000), 2000, 100'000));  // size unreadable, bytes within
  BOOST_TEST(pdf::image_children_started() == before);
  BOOST_TEST(!jpeg_dimensions("not a jpeg"));
}

BOOST_AUTO_TEST_CASE(jpeg_dimensions_reads_the_frame_header_without_a_decoder) {
  BOOST_TEST((jpeg_dimensions(test::real_jpeg(321, 123, false)) == Size{321, 123}));
  BOOST_TEST((jpeg_dimensions(test::with_declared_size(test::real_jpeg(64, 64, false), 60000, 50000)) == Size{60000, 50000}));
  const std::string j = test::real_jpeg(64, 64, false);
  BOOST_TEST(!jpeg_dimensions(j.substr(0, 20)));  // cut before the frame header
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const AiError& e) {
    return std::string(kind_name(e.kind())) + ": " + e.what();
  }
  return "no error";
}

BOOST_AUTO_TEST_CASE(a_truncated_jpeg_past_the_limits_fails_naming_the_image) {
  const std::string big = test::real_jpeg(3000, 2000, true);
  const std::string cut = big.substr(0, big.size() / 2);
  const std::string e = error_of([&] { fit_page_image(3, cut, 2000, 0); });
  BOOST_TEST(e.find("bad_image: page image 3 is past the provider's limits and could not be shrunk") == 0, e);
  BOOST_TEST(e.find("cannot be decoded") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(a_heavy_jpeg_without_a_readable_size_fails_unsent) {
  const long before = pdf::image_children_started();
  const std::string e = error_of([&] { fit_page_image(1, test::fake_jpeg(1, 60'000), 2000, 1000); });
  BOOST_TEST(e == "bad_image: page image 1 is past the provider's limits and could not be shrunk: "
                  "not a JPEG whose size can be read", e);
  BOOST_TEST(pdf::image_children_started() == before);
}

BOOST_AUTO_TEST_CASE(a_decompression_bomb_is_refused_by_the_child_before_decoding) {
  const std::string bomb = test::with_declared_size(test::real_jpeg(64, 64, false), 65000, 65000);
  const long before = pdf::image_children_started();
  const std::string e = error_of([&] { fit_page_image(2, bomb, 2000, 0); });
  BOOST_TEST(pdf::image_children_started() == before + 1);
  BOOST_TEST(e.find("bad_image: page image 2 ") == 0, e);
  BOOST_TEST(e.find("declares 65000x65000 pixels, over the limit of 100 Mpixels") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(images_are_shrunk_in_parallel_children_and_the_first_failure_in_order_wins) {
  const std::string big = test::real_jpeg(2479, 3508, false);
  const std::string cut = big.substr(0, big.size() / 2);
  const long before = pdf::image_children_started();
  std::vector<std::optional<FittedImage>> out =
      fit_page_images({1, 2, 3}, {big, test::real_jpeg(800, 600, false), big}, 2000, 0, 2);
  BOOST_TEST(pdf::image_children_started() == before + 2);
  BOOST_REQUIRE_EQUAL(out.size(), 3u);
  BOOST_TEST((out[0] && out[0]->size == Size{1413, 2000}));
  BOOST_TEST(!out[1]);
  BOOST_TEST((out[2] && out[2]->size == Size{1413, 2000}));
  const std::string e = error_of([&] { fit_page_images({1, 2, 3, 4}, {big, cut, big, cut}, 2000, 0, 3); });
  BOOST_TEST(e.find("bad_image: page image 2 ") == 0, e);
}

BOOST_AUTO_TEST_CASE(a_child_killed_by_a_limit_fails_the_image_like_a_render_child) {
  pdf::SandboxOptions options = pdf::image_sandbox_options();
  const std::string big = test::real_jpeg(2479, 3508, false);
  options.fault = pdf::RenderFault::exhaust_memory;
  options.memory_bytes = std::size_t{256} << 20;
  pdf::set_image_sandbox_options(options);
  std::string e = error_of([&] { fit_page_image(4, big, 2000, 0); });
  BOOST_TEST(e.find("bad_image: page image 4 ") == 0, e);
  BOOST_TEST(e.find("image shrinker exceeded its memory limit (256 MB)") != std::string::npos, e);
  options.fault = pdf::RenderFault::crash;
  pdf::set_image_sandbox_options(options);
  e = error_of([&] { fit_page_image(4, big, 2000, 0); });
  BOOST_TEST(e.find("image shrinker crashed: signal 11") != std::string::npos, e);
  // Its time limit is a render request's: the child's CPU time (a spinning child uses it up).
  options.fault = pdf::RenderFault::hang;
  options.timeout = std::chrono::seconds(1);
  pdf::set_image_sandbox_options(options);
  e = error_of([&] { fit_page_image(4, big, 2000, 0); });
  BOOST_TEST(e.find("bad_image: page image 4 ") == 0, e);
  BOOST_TEST(e.find("image shrinker timed out after 1 s of CPU") != std::string::npos, e);
  // Not the image's fault: a missing helper is transient, the job is retried once it is fixed.
  options.fault = pdf::RenderFault::none;
  options.helper_path = "/nonexistent/examq-render";
  pdf::set_image_sandbox_options(options);
  e = error_of([&] { fit_page_image(4, big, 2000, 0); });
  BOOST_TEST(e.find("unavailable: page image 4 ") == 0, e);
  pdf::set_image_sandbox_options(pdf::SandboxOptions{});
  BOOST_TEST(fit_jpeg(big, 2000, 0).has_value());  // and the next image is shrunk as usual
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(retries)

BOOST_AUTO_TEST_CASE(backoff_doubles_is_capped_and_jittered) {
  RetryPolicy p{4, 1s, 10s};
  BOOST_TEST((backoff_delay(p, 1, 1.0) == 1s));
  BOOST_TEST((backoff_delay(p, 1, 0.0) == 500ms));
  BOOST_TEST((backoff_delay(p, 2, 1.0) == 2s));
  BOOST_TEST((backoff_delay(p, 3, 1.0) == 4s));
  BOOST_TEST((backoff_delay(p, 5, 1.0) == 10s));
  BOOST_TEST((backoff_delay(p, 30, 0.5) == 7500ms));
}

BOOST_AUTO_TEST_CASE(a_longer_retry_after_wins_even_beyond_the_cap) {
  RetryPolicy p{4, 1s, 10s};
  BOOST_TEST((retry_delay(p, 1, 30s, 0.0) == 30s));
  BOOST_TEST((retry_delay(p, 3, 1s, 1.0) == 4s));
  BOOST_TEST((retry_delay(p, 1, std::nullopt, 1.0) == 1s));
}

BOOST_AUTO_TEST_CASE(retry_after_reads_seconds_and_http_dates) {
  auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  BOOST_TEST((parse_retry_after("120", now) == std::optional<util::Duration>(120s)));
  BOOST_TEST((parse_retry_after(" 0 ", now) == std::optional<util::Duration>(0s)));
  BOOST_TEST((parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now) == std::optional<util::Duration>(120s)));
  BOOST_TEST((parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == std::optional<util::Duration>(0s)));
  BOOST_TEST(!parse_retry_after("soon", now));
  BOOST_TEST(!parse_retry_after("", now));
  BOOST_TEST((parse_retry_after("99999999999999999999", now) == std::optional<util::Duration>(24h)));
}

BOOST_AUTO_TEST_CASE(retry_after_ms_reads_fractions) {
  BOOST_TEST((parse_retry_after_ms("1500") == std::optional<util::Duration>(1500ms)));
  BOOST_TEST((parse_retry_after_ms("2.5") == std::optional<util::Duration>(2500us)));
  BOOST_TEST(!parse_retry_after_ms("-1"));
  BOOST_TEST(!parse_retry_after_ms("x"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(answers)

BOOST_AUTO_TEST_CASE(a_valid_answer_becomes_questions) {
  std::vector<Topic> topics = {{"id-1", "1.1", "A"}, {"id-2", "", "B"}};
  const std::string answer = R"J({"questions":[
      {"number":" 1 ","parent_number":"","text":" Stem. ","marks":null,"page_number":1,"topic_refs":["T2","T2","id-1"]},
      {"number":"1(a)","parent_number":"1","text":"Part","marks":3.0,"page_number":2,"topic_refs":["T7"]}]})J";
  auto qs = parse_answer(tao::json::from_string(answer), {1, 2}, topics);
  BOOST_REQUIRE_EQUAL(qs.size(), 2u);
  BOOST_TEST(qs[0].question.number == "1");
  BOOST_TEST(qs[0].question.text == "Stem.");
  BOOST_TEST(!qs[0].question.marks);
  BOOST_TEST(qs[0].question.source == "ai");
  BOOST_TEST((qs[0].topic_ids == std::vector<std::string>{"id-2", "id-1"}));
  BOOST_TEST(qs[1].question.parent_number == "1");
  BOOST_TEST((qs[1].question.marks == std::optional<int>(3)));
  BOOST_TEST(qs[1].topic_ids.empty());
}

BOOST_AUTO_TEST_CASE(broken_rows_are_named) {
  BOOST_TEST(contains(parse_error(R"({"questions":[{"number":"1","text":"t","marks":-1,"page_number":1}]})"),
                      "question 1: marks must be a non-negative integer or null, got -1"));
  BOOST_TEST(contains(parse_error(R"({"questions":[{"number":"1","text":"t","marks":1.5,"page_number":1}]})"),
                      "marks must be a non-negative integer"));
  BOOST_TEST(contains(parse_error(R"({"questions":[{"number":"1","text":"t","marks":"2 or 3","page_number":1}]})"),
                      "marks must be a non-negative integer"));
  BOOST_TEST(contains(parse_error(R"({"questions":[{"number":"1","text":"t","marks":"2","page_number":"two"}]})"),
                      "page_number is missing or not an integer"));
  BOOST_TEST(contains(parse_error(R"({"questions":[{"number":"1","text":"t","marks":1,"page_number":3}]})"),
                      "page_number 3 is not one of the pages sent (1 to 2)"));
  const std::string second_unnumbered =
      R"({"questions":[{"number":"1","text":"t","marks":1,"page_number":1},{"number":"","text":"t","page_number":1}]})";
  BOOST_TEST(contains(parse_error(second_unnumbered), "question 2: number is empty"));
  BOOST_TEST(contains(parse_error(R"({"questions":[{"text":"t","page_number":1}]})"), "number is missing"));
  BOOST_TEST(contains(parse_error(R"({"questions":[{"number":"1","text":7,"page_number":1}]})"), "text is missing or not a string"));
  BOOST_TEST(contains(parse_error(R"({"questions":[{"number":"1","text":"t"}]})"), "page_number is missing"));
  BOOST_TEST(contains(parse_error(R"({"rows":[]})"), "no \"questions\" array"));
  BOOST_TEST(contains(parse_error(R"([1,2])"), "not a JSON object"));
}

BOOST_AUTO_TEST_CASE(unambiguous_values_are_coerced_and_flagged) {
  const std::string answer = R"J({"questions":[
      {"number":1,"parent_number":null,"text":"a","marks":"2 marks","page_number":"1"},
      {"number":"1(a)","parent_number":1,"text":"b","marks":"[3]","page_number":"Page 2"},
      {"number":"1(b)","parent_number":"1","text":"c","marks":"(4 Marks)","page_number":2},
      {"number":"1(c)","parent_number":"1","text":"d","marks":"","page_number":2},
      {"number":"1(d)","parent_number":"1","text":"e","marks":5,"page_number":2}]})J";
  ParsedAnswer p = parse_answer_rows(tao::json::from_string(answer), {1, 2}, {});
  BOOST_REQUIRE_EQUAL(p.questions.size(), 5u);
  BOOST_TEST(p.dropped.empty());
  BOOST_TEST(p.questions[0].question.number == "1");
  BOOST_TEST((p.questions[0].question.marks == std::optional<int>(2)));
  BOOST_TEST(p.questions[1].question.parent_number == "1");
  BOOST_TEST(p.questions[1].question.page_number == 2);
  BOOST_TEST((p.questions[1].question.marks == std::optional<int>(3)));
  BOOST_TEST((p.questions[2].question.marks == std::optional<int>(4)));
  BOOST_TEST(!p.questions[3].question.marks);
  BOOST_TEST((p.repaired == std::vector<bool>{true, true, true, true, false}));
}

BOOST_AUTO_TEST_CASE(invalid_rows_are_dropped_with_their_number_page_and_reason) {
  const std::string answer = R"J({"questions":[
      {"number":"1","text":"a","marks":1,"page_number":1},
      {"number":"2","text":"b","marks":"lots","page_number":2},
      {"number":"3","text":"c","page_number":7},
      {"text":"d","page_number":1}]})J";
  ParsedAnswer p = parse_answer_rows(tao::json::from_string(answer), {1, 2}, {});
  BOOST_REQUIRE_EQUAL(p.questions.size(), 1u);
  BOOST_REQUIRE_EQUAL(p.dropped.size(), 3u);
  BOOST_TEST(p.dropped[0].number == "2");
  BOOST_TEST((p.dropped[0].page == std::optional<int>(2)));
  BOOST_TEST(contains(p.dropped[0].reason, "question 2: marks must be"));
  BOOST_TEST((p.dropped[1].page == std::optional<int>(7)));
  BOOST_TEST(contains(p.dropped[1].reason, "page_number 7 is not one of the pages sent"));
  BOOST_TEST(p.dropped[2].number.empty());
  BOOST_TEST(contains(p.dropped[2].reason, "question 4: number is missing"));
}

BOOST_AUTO_TEST_CASE(a_json_string_answer_or_question_list_is_unwrapped) {
  const std::string inner = R"({"questions":[{"number":"1","text":"a","page_number":1}]})";
  ParsedAnswer p = parse_answer_rows(tao::json::value(inner), {1}, {});
  BOOST_REQUIRE_EQUAL(p.questions.size(), 1u);
  BOOST_TEST(p.repaired.front());
  tao::json::value list = {{"questions", R"([{"number":"1","text":"a","page_number":1}])"}};
  BOOST_TEST(parse_answer_rows(list, {1}, {}).questions.size() == 1u);
  BOOST_CHECK_THROW(parse_answer_rows(tao::json::value("not json"), {1}, {}), InvalidAnswer);
}

BOOST_AUTO_TEST_CASE(answer_text_must_be_json_but_may_be_fenced) {
  BOOST_TEST(parse_answer_text("```json\n{\"questions\":[]}\n```").is_object());
  BOOST_TEST(parse_answer_text("  {\"questions\":[]} ").is_object());
  BOOST_CHECK_THROW(parse_answer_text("Here you go: {"), InvalidAnswer);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(merging)

BOOST_AUTO_TEST_CASE(rows_read_twice_on_the_shared_page_become_one_with_the_fuller_text) {
  std::vector<std::vector<AiQuestion>> batches = {
      {row("1", 1, "One."), row("2", 2, "Two, cut"), row("2(a)", 2, "Part a", std::nullopt, {"t1"})},
      {row("2", 2, "Two, cut off at the end of the first batch.", 4), row("2(a)", 2, "Part", 2, {"t2", "t1"}),
       row("3", 3, "Three.", 1)},
  };
  auto rows = merge_batches(batches);
  BOOST_REQUIRE_EQUAL(rows.size(), 4u);
  BOOST_TEST(rows[0].question.number == "1");
  BOOST_TEST(rows[1].question.text == "Two, cut off at the end of the first batch.");
  BOOST_TEST((rows[1].question.marks == std::optional<int>(4)));
  BOOST_TEST(rows[2].question.text == "Part a");                      // the longer reading
  BOOST_TEST((rows[2].question.marks == std::optional<int>(2)));      // filled from the other
  BOOST_TEST((rows[2].topic_ids == std::vector<std::string>{"t1", "t2"}));
  BOOST_TEST(rows[3].question.number == "3");
  for (int i = 0; i < 4; ++i) BOOST_TEST(rows[static_cast<std::size_t>(i)].question.position == i + 1);
}

BOOST_AUTO_TEST_CASE(the_same_number_on_different_pages_stays_two_rows) {
  auto rows = merge_batches({{row("1", 1, "Paper 1, question 1")}, {row("1", 5, "Paper 2, question 1")}});
  BOOST_TEST(rows.size() == 2u);
}

BOOST_AUTO_TEST_CASE(labels_are_made_canonical) {
  BOOST_TEST(parse_label("Q3 (a)").str() == "3(a)");
  BOOST_TEST(parse_label("Question 3(a)").str() == "3(a)");
  BOOST_TEST(parse_label("3a").str() == "3(a)");
  BOOST_TEST(parse_label("3aii").str() == "3(a)(ii)");
  BOOST_TEST(parse_label("3(a) (ii)").str() == "3(a)(ii)");
  BOOST_TEST(parse_label("3.").str() == "3");
  BOOST_TEST(parse_label("01.2").str() == "01.2");
  BOOST_TEST(parse_label("8(A)").str() == "8(A)");
  BOOST_TEST(parse_label("1(4)(2)").str() == "1(4)(2)");
  BOOST_TEST(parse_label("(c)").bare());
  BOOST_TEST(parse_label("c)").bare());
  BOOST_TEST(parse_label("(b)(i)").bare());
  BOOST_TEST(!parse_label("3(c)").bare());
  QuestionLabel odd = parse_label("Section B, 2");
  BOOST_TEST(!odd.parsed);
  BOOST_TEST(odd.str() == "SectionB,2");
  BOOST_TEST(!odd.bare());
}

BOOST_AUTO_TEST_CASE(a_bare_part_continues_the_label_before_it) {
  auto resolve = [](const char* bare, const char* context) {
    return resolve_bare(parse_label(bare), parse_label(context)).str();
  };
  BOOST_TEST(resolve("(c)", "5(b)") == "5(c)");
  BOOST_TEST(resolve("(c)", "5(b)(ii)") == "5(c)");
  BOOST_TEST(resolve("(c)(i)", "7(b)(ii)") == "7(c)(i)");
  BOOST_TEST(resolve("(iii)", "3(b)(ii)") == "3(b)(iii)");
  BOOST_TEST(resolve("(ii)", "3(b)") == "3(b)(ii)");
  BOOST_TEST(resolve("(a)", "5") == "5(a)");
  BOOST_TEST(resolve("(i)", "4(h)") == "4(i)");     // the letter after h
  BOOST_TEST(resolve("(i)", "4(b)") == "4(b)(i)");  // a roman numeral
  BOOST_TEST(resolve("(2)", "1(1)") == "1(2)");
  BOOST_TEST(resolve("(c)", "(b)") == "(c)");       // nothing to resolve against
}

BOOST_AUTO_TEST_CASE(text_similarity_is_high_for_one_text_read_twice_and_low_otherwise) {
  BOOST_TEST(text_similarity("Calculate the speed of the trolley.", "calculate the speed of the trolley") == 1.0);
  // A reading cut off at the end of a page against the whole one.
  BOOST_TEST(text_similarity("Calculate the speed of the", "Calculate the speed of the trolley after 2 s, showing your working.") >= kSameRowSimilarity);
  BOOST_TEST(text_similarity("Calculate the speed of the trolley.", "Name the gas given off at the anode.") < kSameRowSimilarity);
  BOOST_TEST(text_similarity("", "Anything") == 0.0);
}

BOOST_AUTO_TEST_CASE(labels_compare_in_paper_order) {
  BOOST_TEST(compare_labels(parse_label("2"), parse_label("10")) < 0);
  BOOST_TEST(compare_labels(parse_label("01.2"), parse_label("01.10")) < 0);
  BOOST_TEST(compare_labels(parse_label("3(b)(ii)"), parse_label("3(b)(x)")) < 0);
  BOOST_TEST(compare_labels(parse_label("3"), parse_label("3(a)")) < 0);
  BOOST_TEST(compare_labels(parse_label("3(c)"), parse_label("3(b)(ii)")) > 0);
  BOOST_TEST(compare_labels(parse_label("3(a)"), parse_label("3a")) == 0);
}

BOOST_AUTO_TEST_CASE(a_part_printed_only_as_c_on_the_shared_page_is_kept_once) {
  // The first batch reads pages 12-13 with 5(c) cut off; the second starts at page 13, where
  // 5(c) is printed only as "(c)".
  auto rows = merge_batches({
      {row("5(a)", 12, "Describe the alpha."), row("5(b)", 12, "State the beta."), row("5(c)", 13, "Explain the")},
      {row("(c)", 13, "Explain the gamma of the wire, using the graph.", 4), row("6", 14, "Six.")},
  });
  BOOST_REQUIRE_EQUAL(rows.size(), 4u);
  BOOST_TEST(rows[2].question.number == "5(c)");
  BOOST_TEST(rows[2].question.text == "Explain the gamma of the wire, using the graph.");
  BOOST_TEST((rows[2].question.marks == std::optional<int>(4)));
  BOOST_TEST(rows[3].question.number == "6");
}

BOOST_AUTO_TEST_CASE(a_bare_part_is_resolved_against_its_parent_number_first) {
  AiQuestion c = row("(c)", 13, "Explain the gamma.");
  c.question.parent_number = "5";
  auto rows = merge_batches({{row("4(a)", 12, "Four a.")}, {c}});
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(rows[1].question.number == "5(c)");
  BOOST_TEST(rows[1].question.parent_number == "5");
}

BOOST_AUTO_TEST_CASE(a_resolved_bare_part_gets_a_parent_number) {
  auto rows = merge_batches({{row("7(b)(ii)", 18, "Seven b two.")}, {row("(c)(i)", 19, "Seven c one.")}});
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(rows[1].question.number == "7(c)(i)");
  BOOST_TEST(rows[1].question.parent_number == "7(c)");
}

BOOST_AUTO_TEST_CASE(a_mislabelled_row_on_the_shared_page_is_matched_by_its_text) {
  auto rows = merge_batches({
      {row("10(b)(i)", 28, "Calculate the force on the"), row("10(b)(ii)", 28, "Name the unit of the")},
      {row("10(b)(i)", 28, "Calculate the force on the spring when stretched.", 3),
       row("11(b)(ii)", 28, "Name the unit of the force on the spring.", 1), row("11(a)", 29, "Eleven a.")},
  });
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  BOOST_TEST(rows[1].question.number == "10(b)(ii)");  // the earlier batch's, which saw question 10 begin
  BOOST_TEST(rows[1].question.text == "Name the unit of the force on the spring.");
  BOOST_TEST(rows[2].question.number == "11(a)");
}

BOOST_AUTO_TEST_CASE(different_rows_with_the_same_last_part_are_not_merged_by_text) {
  auto rows = merge_batches({
      {row("3(a)", 9, "Describe the alpha of the lamp in the circuit.")},
      {row("4(a)", 9, "State the unit of energy stored in a spring.")},
  });
  BOOST_TEST(rows.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_repeated_number_on_the_next_page_matches_the_copy_on_its_own_page) {
  // Section B restarts the numbering on page 4, the page both batches read.
  auto rows = merge_batches({
      {row("1", 3, "Section A, first question."), row("1", 4, "Section B, first")},
      {row("1", 4, "Section B, first question, read whole.", 5), row("2", 5, "Section B, second.")},
  });
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  BOOST_TEST(rows[0].question.text == "Section A, first question.");
  BOOST_TEST(rows[1].question.text == "Section B, first question, read whole.");
  BOOST_TEST(rows[1].question.page_number == 4);
}

BOOST_AUTO_TEST_CASE(a_row_first_read_by_the_later_batch_goes_in_paper_order) {
  // The first batch missed 4(a) at the top of its last page; the second read it.
  auto rows = merge_batches({
      {row("3(c)", 9, "Three c."), row("4(b)", 10, "Four b."), row("4(c)(i)", 10, "Four c")},
      {row("4(a)", 10, "Four a."), row("4(b)", 10, "Four b."), row("4(c)(i)", 10, "Four c one."),
       row("4(c)(ii)", 11, "Four c two.")},
  });
  std::vector<std::string> numbers;
  for (const AiQuestion& q : rows) numbers.push_back(q.question.number);
  BOOST_TEST((numbers == std::vector<std::string>{"3(c)", "4(a)", "4(b)", "4(c)(i)", "4(c)(ii)"}));
  for (std::size_t i = 0; i < rows.size(); ++i) BOOST_TEST(rows[i].question.position == static_cast<int>(i) + 1);
}

BOOST_AUTO_TEST_CASE(a_row_after_its_anchor_keeps_the_order_the_batch_read) {
  // The second batch read 2(b) after 2(a) on the shared page; the first had only 2(a) and 3.
  auto rows = merge_batches({
      {row("2(a)", 5, "Two a."), row("3", 5, "Three.")},
      {row("2(a)", 5, "Two a."), row("2(b)", 5, "Two b."), row("3", 5, "Three.")},
  });
  std::vector<std::string> numbers;
  for (const AiQuestion& q : rows) numbers.push_back(q.question.number);
  BOOST_TEST((numbers == std::vector<std::string>{"2(a)", "2(b)", "3"}));
}

BOOST_AUTO_TEST_CASE(the_last_label_before_a_page_skips_bare_parts) {
  std::vector<AiQuestion> rows = {row("5(a)", 12, "a"), row("5(b)", 12, "b"), row("5(c)", 13, "c")};
  BOOST_TEST(last_label_before(rows, 13) == "5(b)");
  BOOST_TEST(last_label_before(rows, 12) == "");
  BOOST_TEST(last_label_before({row("(c)", 13, "c"), row("6(a)", 15, "a")}, 16) == "6(a)");
  BOOST_TEST(last_label_before({row("(c)", 13, "c")}, 16) == "");
}


BOOST_AUTO_TEST_CASE(questions_become_the_json_the_sql_function_takes) {
  std::vector<AiQuestion> rows = {row("2(a)", 3, "Text", 4, {"id-1"}), row("2(b)", 3, "More")};
  rows[0].question.parent_number = "2";
  tao::json::value j = questions_to_json(rows);
  BOOST_REQUIRE_EQUAL(j.get_array().size(), 2u);
  BOOST_TEST(j.at(0).at("question_number").get_string() == "2(a)");
  BOOST_TEST(j.at(0).at("parent_number").get_string() == "2");
  BOOST_TEST(j.at(0).at("marks").get_signed() == 4);
  BOOST_TEST(j.at(0).at("page_number").get_signed() == 3);
  BOOST_TEST(j.at(0).at("source").get_string() == "ai");
  BOOST_TEST(j.at(0).at("topic_ids").at(0).get_string() == "id-1");
  BOOST_TEST(j.at(1).at("marks").is_null());
  BOOST_TEST(j.at(1).at("topic_ids").get_array().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(secrets)

BOOST_AUTO_TEST_CASE(redact_removes_the_key_and_key_like_tokens) {
  BOOST_TEST(redact("bad key my-secret-key-123 given", "my-secret-key-123") == "bad key [redacted] given");
  BOOST_TEST(redact("Incorrect API key provided: sk-proj-abc********wxyz.", "") == "Incorrect API key provided: [redacted]");
  BOOST_TEST(redact("task-12345678 stays", "") == "task-12345678 stays");
  BOOST_TEST(redact("line\nbreak", "") == "line break");
  BOOST_TEST(redact(std::string(500, 'x'), "", 10) == std::string(10, 'x') + "...");
}

BOOST_AUTO_TEST_CASE(base64_matches_rfc_4648) {
  BOOST_TEST(base64_encode("") == "");
  BOOST_TEST(base64_encode("f") == "Zg==");
  BOOST_TEST(base64_encode("fo") == "Zm8=");
  BOOST_TEST(base64_encode("foo") == "Zm9v");
  BOOST_TEST(base64_encode("foob") == "Zm9vYg==");
  BOOST_TEST(base64_encode("fooba") == "Zm9vYmE=");
  BOOST_TEST(base64_encode("foobar") == "Zm9vYmFy");
  BOOST_TEST(base64_encode(std::string("\xff\xd8\x00", 3)) == "/9gA");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sharing)

BOOST_AUTO_TEST_CASE(the_limiter_hands_out_its_slots_and_wakes_waiters_on_release) {
  RequestLimiter limiter(2);
  int wakes = 0;
  auto sub = limiter.subscribe([&] { ++wakes; });
  RequestLimiter::Slot a = limiter.try_acquire();
  RequestLimiter::Slot b = limiter.try_acquire();
  RequestLimiter::Slot c = limiter.try_acquire();
  BOOST_TEST(static_cast<bool>(a));
  BOOST_TEST(static_cast<bool>(b));
  BOOST_TEST(!c);
  BOOST_TEST(limiter.in_use() == 2);
  a.reset();
  BOOST_TEST(wakes == 1);
  BOOST_TEST(limiter.in_use() == 1);
  c = limiter.try_acquire();
  BOOST_TEST(static_cast<bool>(c));
  BOOST_TEST(limiter.peak() == 2);
}

BOOST_AUTO_TEST_CASE(a_held_limiter_hands_out_nothing_until_the_hold_ends) {
  RequestLimiter limiter(2);
  limiter.hold_until(RequestLimiter::Clock::now() - 1s);
  BOOST_TEST(static_cast<bool>(limiter.try_acquire()));
  limiter.hold_until(RequestLimiter::Clock::now() + 1h);
  BOOST_TEST(!limiter.try_acquire());
  auto until = limiter.held_until();
  limiter.hold_until(RequestLimiter::Clock::now() + 1min);  // a shorter hold does not shorten it
  BOOST_TEST((limiter.held_until() == until));
}

BOOST_AUTO_TEST_CASE(the_answer_cache_keeps_the_most_recent_answers) {
  AnswerCache cache(2);
  auto k1 = AnswerCache::key_for("u", "body1");
  auto k2 = AnswerCache::key_for("u", "body2");
  auto k3 = AnswerCache::key_for("u", "body3");
  BOOST_TEST((k1 != AnswerCache::key_for("v", "body1")));
  cache.insert(k1, tao::json::value(1));
  cache.insert(k2, tao::json::value(2));
  BOOST_TEST(cache.find(k1)->get_signed() == 1);  // k1 is now the most recent
  cache.insert(k3, tao::json::value(3));
  BOOST_TEST(!cache.find(k2));
  BOOST_TEST(cache.find(k1).has_value());
  BOOST_TEST(cache.find(k3).has_value());
  AnswerCache off(0);
  off.insert(k1, tao::json::value(1));
  BOOST_TEST(!off.find(k1));
}

BOOST_AUTO_TEST_SUITE_END()

// The event-stream framing and the providers' stream readers (streaming.h), without a server.
BOOST_AUTO_TEST_SUITE(streams)

BOOST_AUTO_TEST_CASE(sse_events_survive_any_split_of_their_bytes) {
  const std::string stream =
      ": keep-alive\r\nevent: one\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\ndata:two\r\rdata: [DONE]\n\n";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    ai::SseReader reader;
    reader.feed(std::string_view(stream).substr(0, cut));
    reader.feed(std::string_view(stream).substr(cut));
    reader.finish();
    std::vector<ai::SseEvent> events = reader.take();
    BOOST_REQUIRE_EQUAL(events.size(), 3u);
    BOOST_TEST(events[0].event == "one");
    BOOST_TEST(events[0].data == "{\"a\":\n1}");
    BOOST_TEST(events[1].event == "message");
    BOOST_TEST(events[1].data == "two");
    BOOST_TEST(events[2].data == "[DONE]");
  }
}

BOOST_AUTO_TEST_CASE(streaming_is_on_by_default_and_its_timeouts_are_read) {
  const std::map<std::string, std::string> base = {{"EXAMQ_EXTRACTOR", "anthropic"}, {"EXAMQ_AI_MODEL", "claude-x"},
                                                   {"ANTHROPIC_API_KEY", "k"}};
  auto c = ai_config_from_env(env_of(base));
  BOOST_REQUIRE(c);
  BOOST_TEST((c->stream == StreamMode::automatic));
  BOOST_TEST((stream_format(*c) == StreamFormat::anthropic));
  BOOST_TEST((c->request_max_time == std::chrono::minutes(15)));
  TransferOptions o = transfer_options(*c, std::chrono::hours(1));
  BOOST_TEST((o.silence_timeout == std::optional<util::Duration>(std::chrono::seconds(180))));
  BOOST_TEST((o.timeout == std::chrono::minutes(15)));
  BOOST_TEST((transfer_options(*c, std::chrono::seconds(30)).timeout == std::chrono::seconds(30)));

  auto vars = base;
  vars["EXAMQ_AI_STREAM"] = "off";
  vars["EXAMQ_AI_REQUEST_MAX_TIME"] = "20m";
  c = ai_config_from_env(env_of(vars));
  BOOST_TEST((stream_format(*c) == StreamFormat::none));
  BOOST_TEST((c->request_max_time == std::chrono::minutes(20)));
  o = transfer_options(*c, std::chrono::hours(1));
  BOOST_TEST(!o.silence_timeout.has_value());
  BOOST_TEST((o.timeout == std::chrono::seconds(180)));

  vars["EXAMQ_AI_STREAM"] = "yes";
  BOOST_CHECK_EXCEPTION(ai_config_from_env(env_of(vars)), std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("EXAMQ_AI_STREAM") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(a_last_event_without_its_blank_line_is_still_read) {
  std::vector<ai::SseEvent> events = ai::read_sse("data: a\n\ndata: [DONE]");
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[1].data == "[DONE]");
}

BOOST_AUTO_TEST_CASE(anthropic_tool_input_sent_as_a_json_string_stays_a_string) {
  const std::string stream =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":"
      "\"assistant\",\"content\":[],\"model\":\"c\",\"stop_reason\":null,\"usage\":{\"input_tokens\":10,"
      "\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
      "\"tool_use\",\"id\":\"t\",\"name\":\"record_questions\",\"input\":{}}}\n\n"
      "event: ping\ndata: {\"type\": \"ping\"}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
      "\"input_json_delta\",\"partial_json\":\"\\\"{\\\\\\\"questions\\\\\\\"\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
      "\"input_json_delta\",\"partial_json\":\": []}\\\"\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":"
      "{\"output_tokens\":42}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  ai::FoldedStream f = ai::fold_anthropic_stream(stream);
  BOOST_REQUIRE((f.outcome == ai::FoldedStream::Outcome::complete));
  tao::json::value v = tao::json::from_string(f.body);
  BOOST_TEST(v.at("stop_reason").get_string() == "tool_use");
  BOOST_TEST(v.at("content").get_array().size() == 1u);
  BOOST_TEST(v.at("content")[0].at("input").get_string() == "{\"questions\": []}");
  BOOST_TEST(v.at("usage").at("input_tokens").as<std::int64_t>() == 10);
  BOOST_TEST(v.at("usage").at("cache_read_input_tokens").as<std::int64_t>() == 5);
  BOOST_TEST(v.at("usage").at("output_tokens").as<std::int64_t>() == 42);
}

BOOST_AUTO_TEST_CASE(error_events_carry_the_status_the_same_error_has_without_streaming) {
  ai::FoldedStream a = ai::fold_anthropic_stream(
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\n"
      "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n");
  BOOST_TEST((a.outcome == ai::FoldedStream::Outcome::error));
  BOOST_TEST(a.status == 529);
  ai::FoldedStream o = ai::fold_openai_stream(
      "data: {\"choices\":[]}\n\ndata: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":"
      "\"rate_limit_exceeded\"}}\n\n");
  BOOST_TEST((o.outcome == ai::FoldedStream::Outcome::error));
  BOOST_TEST(o.status == 429);
  ai::FoldedStream v = ai::fold_openai_stream("data: {\"object\":\"error\",\"error\":{\"message\":\"busy\",\"code\":503}}\n\n");
  BOOST_TEST(v.status == 503);
}

BOOST_AUTO_TEST_CASE(streams_without_their_final_event_are_cut) {
  BOOST_TEST((ai::fold_openai_stream("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"{\"}}]}\n\n").outcome ==
              ai::FoldedStream::Outcome::cut));
  BOOST_TEST((ai::fold_anthropic_stream("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\n").outcome ==
              ai::FoldedStream::Outcome::cut));
  BOOST_TEST((ai::fold_openai_stream("").outcome == ai::FoldedStream::Outcome::cut));
}

BOOST_AUTO_TEST_CASE(a_plain_json_body_is_not_taken_for_a_stream) {
  ai::HttpResponse r;
  r.status = 200;
  r.body = "{\"choices\": []}";
  ai::settle_stream(ai::StreamFormat::openai, r);
  BOOST_TEST(r.body == "{\"choices\": []}");
  BOOST_TEST((r.curl_code == CURLE_OK));
}

// What folding costs: a large answer (about 316 KB of JSON, 2,000 rows) streamed in 40-character
// deltas, as a model sends it, read back. Printed for docs/extractors.md; bounded loosely so that
// a quadratic fold would fail.
BOOST_AUTO_TEST_CASE(folding_a_large_answer_is_cheap) {
  std::string answer = "{\"questions\":[";
  for (int i = 0; i < 2000; ++i) {
    if (i > 0) answer += ",";
    answer += "{\"number\":\"" + std::to_string(i) + "\",\"parent_number\":\"\",\"text\":\"Explain part " + std::to_string(i) +
              " of the question in full, using the data in the table and the graph.\",\"marks\":4,\"page_number\":" +
              std::to_string(i / 20 + 1) + "}";
  }
  answer += "]}";
  std::string stream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n";
  for (std::size_t i = 0; i < answer.size(); i += 40) {
    tao::json::value chunk = {{"id", "chatcmpl-x"}, {"object", "chat.completion.chunk"}, {"created", 1}, {"model", "m"},
                              {"choices", tao::json::value::array({{{"index", 0}, {"delta", {{"content", answer.substr(i, 40)}}}}})}};
    stream += "data: " + tao::json::to_string(chunk) + "\n\n";
  }
  stream += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":9}}\n\ndata: [DONE]\n\n";
  const auto started = std::chrono::steady_clock::now();
  ai::FoldedStream f = ai::fold_openai_stream(stream);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  BOOST_REQUIRE((f.outcome == ai::FoldedStream::Outcome::complete));
  tao::json::value v = tao::json::from_string(f.body);
  BOOST_TEST(v.at("choices")[0].at("message").at("content").get_string() == answer);
  BOOST_TEST(v.at("usage").at("completion_tokens").as<std::int64_t>() == 9);
  BOOST_TEST_MESSAGE("folded " << stream.size() << " bytes of stream (" << f.events << " events, answer " << answer.size()
                               << " bytes) in " << ms << " ms");
  BOOST_TEST(ms < 5000);
}

BOOST_AUTO_TEST_SUITE_END()
