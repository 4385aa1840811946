#include "provider_wire.h"

#include "ai/image_fit.h"
#include "ai/model_family.h"

#include <algorithm>
#include <optional>

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include "test_support.h"

namespace examq::test {
namespace {

const tao::json::value& need(const tao::json::value& object, const char* key) {
  if (!object.is_object()) throw BadRequest(std::string("expected an object holding ") + key);
  const tao::json::value* v = object.find(key);
  if (v == nullptr) throw BadRequest(std::string("missing ") + key);
  return *v;
}

std::string need_string(const tao::json::value& object, const char* key) {
  const tao::json::value& v = need(object, key);
  if (!v.is_string_type()) throw BadRequest(std::string(key) + " is not a string");
  return std::string(v.get_string_type());
}

tao::json::value parse_body(const FakeRequest& r) {
  if (r.header("content-type").value_or("") != "application/json") throw BadRequest("content-type is not application/json");
  try {
    return tao::json::from_string(r.body);
  } catch (const std::exception& e) {
    throw BadRequest(std::string("body is not JSON: ") + e.what());
  }
}

int page_from_label(const std::string& text) {
  if (text.rfind("Page ", 0) != 0) throw BadRequest("expected a \"Page N\" label, got \"" + text + "\"");
  return std::stoi(text.substr(5));
}

// Every property required and additionalProperties false, recursively: what strict mode demands.
void check_strict(const tao::json::value& schema) {
  if (!schema.is_object()) throw BadRequest("schema is not an object");
  const tao::json::value* type = schema.find("type");
  if (type != nullptr && type->is_string_type() && type->get_string_type() == "object") {
    const auto& props = need(schema, "properties").get_object();
    const auto& required = need(schema, "required").get_array();
    if (required.size() != props.size()) throw BadRequest("strict schema: every property must be required");
    const tao::json::value* extra = schema.find("additionalProperties");
    if (extra == nullptr || !extra->is_boolean() || extra->get_boolean()) {
      throw BadRequest("strict schema: additionalProperties must be false");
    }
    for (const auto& [k, v] : props) check_strict(v);
  }
  if (const tao::json::value* items = schema.find("items")) check_strict(*items);
}

bool schema_asks_for_topics(const tao::json::value& schema) {
  const auto& item = need(need(need(schema, "properties"), "questions"), "items");
  return need(item, "properties").find("topic_refs") != nullptr;
}

FakeResponse json_response(int status, const tao::json::value& body) {
  FakeResponse r;
  r.status = status;
  r.body = tao::json::to_string(body);
  return r;
}

tao::json::value openai_completion(tao::json::value message, const std::string& finish, int in, int out) {
  return {{"id", "chatcmpl-test"},
          {"object", "chat.completion"},
          {"created", 1700000000},
          {"model", "gpt-test"},
          {"choices", tao::json::value::array({{{"index", 0}, {"message", std::move(message)}, {"finish_reason", finish}}})},
          {"usage", {{"prompt_tokens", in}, {"completion_tokens", out}, {"total_tokens", in + out}}}};
}

tao::json::value openai_error(const std::string& message, const std::string& type, const tao::json::value& code) {
  return {{"error", {{"message", message}, {"type", type}, {"param", tao::json::null}, {"code", code}}}};
}

tao::json::value anthropic_message(tao::json::value content, const std::string& stop, int in, int out) {
  return {{"id", "msg_test"},
          {"type", "message"},
          {"role", "assistant"},
          {"model", "claude-test"},
          {"content", std::move(content)},
          {"stop_reason", stop},
          {"stop_sequence", tao::json::null},
          {"usage", {{"input_tokens", in}, {"output_tokens", out}}}};
}

std::vector<std::string> pieces(const std::string& text, std::size_t size) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); i += std::max<std::size_t>(size, 1)) out.push_back(text.substr(i, size));
  return out;
}

// The events, shaped by the response's stream options, as the parts of a streamed response.
FakeResponse streamed(const FakeResponse& r, const std::vector<std::string>& events, const std::string& error_event) {
  const StreamOptions& o = r.stream_options;
  FakeResponse out;
  out.status = r.status;
  out.headers = r.headers;
  out.delay = r.delay;
  out.content_type = "text/event-stream";
  out.streamed = true;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const int n = static_cast<int>(i);
    if (n == o.cut_before) break;
    StreamPart part;
    part.delay = o.event_delay + (n == o.stall_before ? o.stall : std::chrono::milliseconds(0));
    if (n == o.error_before) {
      part.bytes = error_event;
      out.stream.push_back(std::move(part));
      break;
    }
    part.bytes = events[i];
    out.stream.push_back(std::move(part));
  }
  return out;
}

tao::json::value anthropic_error(const std::string& type, const std::string& message) {
  return {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}, {"request_id", "req_test"}};
}

}  // namespace

tao::json::value answer_json(const std::vector<FakeQuestion>& questions, bool with_topics) {
  tao::json::value list = tao::json::empty_array;
  for (const FakeQuestion& q : questions) {
    tao::json::value item = {{"number", q.number},
                             {"parent_number", q.parent_number},
                             {"text", q.text},
                             {"page_number", q.page_number}};
    item["marks"] = q.marks ? tao::json::value(*q.marks) : tao::json::value(tao::json::null);
    if (with_topics) {
      tao::json::value refs = tao::json::empty_array;
      for (const std::string& t : q.topic_refs) refs.get_array().emplace_back(t);
      item["topic_refs"] = std::move(refs);
    }
    list.get_array().push_back(std::move(item));
  }
  return {{"questions", std::move(list)}};
}

// ---- OpenAI ----

ai::AiConfig OpenAiWire::config(const FakeHttpServer& server, const std::string& key) {
  ai::AiConfig c;
  c.provider = ai::Provider::openai;
  c.base_url = server.url() + "/v1";
  c.model = "gpt-test";
  c.api_key = key;
  c.api_key_source = "EXAMQ_AI_API_KEY";
  c.openai_max_tokens_field = "max_completion_tokens";
  c.retry_base_delay = std::chrono::milliseconds(1);
  c.retry_max_delay = std::chrono::milliseconds(20);
  c.request_timeout = std::chrono::seconds(30);
  c.job_deadline = std::chrono::seconds(60);
  return c;
}

SentBatch OpenAiWire::parse(const FakeRequest& r, const std::string& key) {
  if (!is_endpoint(r)) throw BadRequest("unknown endpoint " + r.method + " " + r.target);
  if (r.body.size() > 50u * 1000 * 1000) throw BadRequest("request too large: at most 50 MB per request");
  if (r.header("authorization").value_or("") != "Bearer " + key) throw BadRequest("missing or wrong Authorization");
  tao::json::value body = parse_body(r);
  SentBatch s;
  s.body_bytes = r.body.size();
  s.model = need_string(body, "model");
  const tao::json::value* mt = body.find("max_completion_tokens");
  if (mt == nullptr) mt = body.find("max_tokens");
  if (mt == nullptr || !mt->is_integer()) throw BadRequest("no max_completion_tokens / max_tokens");
  s.max_tokens = mt->is_signed() ? mt->get_signed() : static_cast<std::int64_t>(mt->get_unsigned());
  const bool reasoning = ai::is_openai_reasoning_model(s.model);
  if (const tao::json::value* t = body.find("temperature")) {
    if (!t->is_number()) throw BadRequest("temperature is not a number");
    // What OpenAI answers: "Unsupported value: 'temperature' does not support 0 with this model."
    if (reasoning) throw BadRequest("Unsupported value: 'temperature' is not supported with this model.");
    s.temperature = t->as<double>();
  }
  if (const tao::json::value* e = body.find("reasoning_effort")) {
    if (!e->is_string_type()) throw BadRequest("reasoning_effort is not a string");
    if (!reasoning) throw BadRequest("Unrecognized request argument supplied: reasoning_effort");
    s.reasoning_effort = e->get_string_type();
  }

  const auto& messages = need(body, "messages").get_array();
  if (messages.size() != 2) throw BadRequest("expected a system and a user message");
  if (need_string(messages[0], "role") != "system") throw BadRequest("first message is not the system message");
  s.instructions = need_string(messages[0], "content");
  if (need_string(messages[1], "role") != "user") throw BadRequest("second message is not the user message");
  const auto& parts = need(messages[1], "content").get_array();
  if (parts.size() < 3 || parts.size() % 2 != 1) throw BadRequest("expected label/image pairs and a final text");
  for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
    if (need_string(parts[i], "type") != "text") throw BadRequest("expected a text label before each image");
    s.pages.push_back(page_from_label(need_string(parts[i], "text")));
    if (need_string(parts[i + 1], "type") != "image_url") throw BadRequest("expected an image_url part");
    std::string url = need_string(need(parts[i + 1], "image_url"), "url");
    const std::string prefix = "data:image/jpeg;base64,";
    if (url.rfind(prefix, 0) != 0) throw BadRequest("image_url is not a base64 JPEG data URL");
    s.images.push_back(base64_decode(std::string_view(url).substr(prefix.size())));
  }
  if (s.images.size() > 500) throw BadRequest("too many images: at most 500 per request");
  if (need_string(parts.back(), "type") != "text") throw BadRequest("the last part is not text");
  s.request_text = need_string(parts.back(), "text");

  const tao::json::value& format = need(body, "response_format");
  if (need_string(format, "type") != "json_schema") throw BadRequest("response_format.type is not json_schema");
  const tao::json::value& js = need(format, "json_schema");
  if (need_string(js, "name").empty()) throw BadRequest("json_schema.name is empty");
  const tao::json::value& strict = need(js, "strict");
  if (!strict.is_boolean() || !strict.get_boolean()) throw BadRequest("json_schema.strict is not true");
  s.schema = need(js, "schema");
  check_strict(s.schema);
  s.asks_for_topics = schema_asks_for_topics(s.schema);
  if (const tao::json::value* st = body.find("stream")) {
    if (!st->is_boolean()) throw BadRequest("stream is not a boolean");
    s.stream = st->get_boolean();
  }
  if (const tao::json::value* so = body.find("stream_options"); so != nullptr && !so->is_null()) {
    // What OpenAI answers to stream_options without stream.
    if (!s.stream) throw BadRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.");
    const tao::json::value* iu = so->is_object() ? so->find("include_usage") : nullptr;
    if (iu != nullptr && !iu->is_boolean()) throw BadRequest("stream_options.include_usage is not a boolean");
    s.include_usage = iu != nullptr && iu->get_boolean();
  }
  s.stable_prefix = tao::json::to_string(format) + tao::json::to_string(messages[0]);
  s.cache_key = s.stable_prefix;
  for (const tao::json::value& part : parts) s.cache_key += tao::json::to_string(part);
  return s;
}

FakeResponse OpenAiWire::answer(const tao::json::value& answer, int in, int out) {
  return json_response(200, openai_completion({{"role", "assistant"}, {"content", tao::json::to_string(answer)},
                                               {"refusal", tao::json::null}},
                                              "stop", in, out));
}

CacheUse OpenAiWire::cache_use(const SentBatch& b, const std::vector<std::string>& answered) {
  std::size_t longest = 0;
  for (const std::string& earlier : answered) {
    const auto n = static_cast<std::size_t>(
        std::mismatch(b.cache_key.begin(), b.cache_key.begin() + static_cast<std::ptrdiff_t>(std::min(b.cache_key.size(), earlier.size())),
                      earlier.begin())
            .first -
        b.cache_key.begin());
    longest = std::max(longest, n);
  }
  const auto tokens = static_cast<std::int64_t>(longest / 4);
  return CacheUse{0, tokens >= 1024 ? tokens / 128 * 128 : 0};
}

void OpenAiWire::remember(const SentBatch& b, std::vector<std::string>& answered) {
  if (b.cache_key.size() / 4 >= 1024) answered.push_back(b.cache_key);
}

void OpenAiWire::report_cache(FakeResponse& r, const CacheUse& use) {
  tao::json::value v = tao::json::from_string(r.body);
  tao::json::value* usage = v.find("usage");
  if (usage == nullptr) return;
  (*usage)["prompt_tokens_details"] = {{"cached_tokens", use.read}, {"audio_tokens", 0}};
  r.body = tao::json::to_string(v);
}

FakeResponse OpenAiWire::answer_text(const std::string& content) {
  return json_response(200, openai_completion({{"role", "assistant"}, {"content", content}, {"refusal", tao::json::null}},
                                              "stop", 1000, 50));
}

FakeResponse OpenAiWire::refusal(const std::string& why) {
  return json_response(200, openai_completion({{"role", "assistant"}, {"content", tao::json::null}, {"refusal", why}},
                                              "stop", 1000, 10));
}

FakeResponse OpenAiWire::truncated() {
  return json_response(200, openai_completion({{"role", "assistant"},
                                               {"content", "{\"questions\":[{\"number\":\"1\",\"parent_number\":\"\",\"te"},
                                               {"refusal", tao::json::null}},
                                              "length", 1000, 4096));
}

FakeResponse OpenAiWire::rate_limited(const std::string& retry_after) {
  FakeResponse r = json_response(
      429, openai_error("Rate limit reached for gpt-test on requests per min (RPM): Limit 3, Used 3, Requested 1.",
                        "requests", "rate_limit_exceeded"));
  if (!retry_after.empty()) r.headers.emplace_back("retry-after", retry_after);
  return r;
}

FakeResponse OpenAiWire::request_too_large() {
  return json_response(
      429, openai_error("Request too large for gpt-test in organization org-test on tokens per min (TPM): Limit 30000, "
                        "Requested 45210. The input or output tokens must be reduced in order to run successfully.",
                        "tokens", "rate_limit_exceeded"));
}

FakeResponse OpenAiWire::overloaded() {
  return json_response(529, openai_error("The upstream is overloaded", "server_error", tao::json::null));
}

FakeResponse OpenAiWire::server_error() {
  return json_response(500, openai_error("The server had an error while processing your request.", "server_error",
                                         tao::json::null));
}

FakeResponse OpenAiWire::bad_key(const std::string& key) {
  return json_response(401, openai_error("Incorrect API key provided: " + key + ". You can find your API key at "
                                         "https://platform.openai.com/account/api-keys.",
                                         "invalid_request_error", "invalid_api_key"));
}

FakeResponse OpenAiWire::quota() {
  return json_response(429, openai_error("You exceeded your current quota, please check your plan and billing details.",
                                         "insufficient_quota", "insufficient_quota"));
}

FakeResponse OpenAiWire::bad_request(const std::string& message) {
  return json_response(400, openai_error(message, "invalid_request_error", tao::json::null));
}

// ---- Anthropic ----

ai::AiConfig AnthropicWire::config(const FakeHttpServer& server, const std::string& key) {
  ai::AiConfig c;
  c.provider = ai::Provider::anthropic;
  c.base_url = server.url();
  c.model = "claude-test";
  c.api_key = key;
  c.api_key_source = "ANTHROPIC_API_KEY";
  c.retry_base_delay = std::chrono::milliseconds(1);
  c.retry_max_delay = std::chrono::milliseconds(20);
  c.request_timeout = std::chrono::seconds(30);
  c.job_deadline = std::chrono::seconds(60);
  return c;
}

SentBatch AnthropicWire::parse(const FakeRequest& r, const std::string& key) {
  if (!is_endpoint(r)) throw BadRequest("unknown endpoint " + r.method + " " + r.target);
  if (r.header("x-api-key").value_or("") != key) throw BadRequest("missing or wrong x-api-key");
  if (r.body.size() > 32u * 1000 * 1000) throw BadRequest("request_too_large: at most 32 MB per request");
  if (r.header("anthropic-version").value_or("") != "2023-06-01") throw BadRequest("missing anthropic-version");
  if (r.header("authorization")) throw BadRequest("unexpected Authorization header");
  tao::json::value body = parse_body(r);
  SentBatch s;
  s.body_bytes = r.body.size();
  s.model = need_string(body, "model");
  const tao::json::value& mt = need(body, "max_tokens");
  if (!mt.is_integer()) throw BadRequest("max_tokens is not an integer");
  s.max_tokens = mt.is_signed() ? mt.get_signed() : static_cast<std::int64_t>(mt.get_unsigned());
  if (const tao::json::value* t = body.find("temperature")) {
    if (!t->is_number() || t->as<double>() < 0 || t->as<double>() > 1) throw BadRequest("temperature: must be from 0 to 1");
    s.temperature = t->as<double>();
  }

  const tao::json::value& system = need(body, "system");
  const tao::json::value& tools_json = need(body, "tools");
  s.stable_prefix = tao::json::to_string(tools_json) + tao::json::to_string(system);
  if (system.is_string_type()) {
    s.instructions = system.get_string_type();
  } else {
    std::string prefix = tao::json::to_string(tools_json);
    int breakpoints = 0;
    for (const auto& block : system.get_array()) {
      s.instructions += need_string(block, "text");
      prefix += tao::json::to_string(block);
      if (const tao::json::value* cc = block.find("cache_control")) {
        if (need_string(*cc, "type") != "ephemeral") throw BadRequest("cache_control.type: must be ephemeral");
        if (++breakpoints > 4) throw BadRequest("A maximum of 4 blocks with cache_control may be provided");
        s.cache_control = true;
        s.cache_key = prefix;
      }
    }
  }

  const auto& messages = need(body, "messages").get_array();
  if (messages.size() != 1 || need_string(messages[0], "role") != "user") throw BadRequest("expected one user message");
  const auto& blocks = need(messages[0], "content").get_array();
  if (blocks.size() < 3 || blocks.size() % 2 != 1) throw BadRequest("expected label/image pairs and a final text");
  for (std::size_t i = 0; i + 1 < blocks.size(); i += 2) {
    if (need_string(blocks[i], "type") != "text") throw BadRequest("expected a text label before each image");
    s.pages.push_back(page_from_label(need_string(blocks[i], "text")));
    if (need_string(blocks[i + 1], "type") != "image") throw BadRequest("expected an image block");
    const tao::json::value& source = need(blocks[i + 1], "source");
    if (need_string(source, "type") != "base64") throw BadRequest("image source is not base64");
    if (need_string(source, "media_type") != "image/jpeg") throw BadRequest("image media_type is not image/jpeg");
    const std::string data = need_string(source, "data");
    if (data.size() > 5u * 1024 * 1024) throw BadRequest("messages.0.content." + std::to_string(i + 1) + ".image.source.base64: image exceeds 5 MB maximum");
    s.images.push_back(base64_decode(data));
  }
  // Anthropic's documented limits, written out here independently of provider_limits.cc: 100
  // images, 8000 px, 2000 px when more than 20 images (images the fake cannot decode, the
  // synthetic pages of most tests, are not measured).
  if (s.images.size() > 100) throw BadRequest("too many images: at most 100 per request");
  for (const std::string& image : s.images) {
    std::optional<ai::Size> size = ai::jpeg_dimensions(image);
    if (!size) continue;
    const int side = std::max(size->width, size->height);
    if (side > 8000) throw BadRequest("image dimensions exceed max allowed size: 8000 pixels");
    if (s.images.size() > 20 && side > 2000) {
      throw BadRequest("At least one of the image dimensions exceed max allowed size for many-image requests: 2000 pixels");
    }
  }
  if (need_string(blocks.back(), "type") != "text") throw BadRequest("the last block is not text");
  s.request_text = need_string(blocks.back(), "text");

  const auto& tools = tools_json.get_array();
  if (tools.size() != 1) throw BadRequest("expected one tool");
  std::string tool = need_string(tools[0], "name");
  s.schema = need(tools[0], "input_schema");
  if (need_string(s.schema, "type") != "object") throw BadRequest("input_schema is not an object schema");
  const tao::json::value& choice = need(body, "tool_choice");
  if (need_string(choice, "type") != "tool" || need_string(choice, "name") != tool) {
    throw BadRequest("tool_choice does not force the tool");
  }
  s.asks_for_topics = schema_asks_for_topics(s.schema);
  if (const tao::json::value* st = body.find("stream")) {
    if (!st->is_boolean()) throw BadRequest("stream: Input should be a valid boolean");
    s.stream = st->get_boolean();
  }
  return s;
}

FakeResponse AnthropicWire::answer(const tao::json::value& answer, int in, int out) {
  tao::json::value content = tao::json::value::array(
      {{{"type", "tool_use"}, {"id", "toolu_test"}, {"name", "record_questions"}, {"input", answer}}});
  return json_response(200, anthropic_message(std::move(content), "tool_use", in, out));
}

std::int64_t AnthropicWire::min_cacheable_tokens(const std::string& model) {
  // Anthropic's table (prompt caching, "Cache limitations"), for the fake's model names.
  if (model.find("opus-4-5") != std::string::npos || model.find("opus-4-6") != std::string::npos ||
      model.find("haiku-4") != std::string::npos) {
    return 4096;
  }
  if (model.find("haiku") != std::string::npos) return 2048;
  return 1024;
}

CacheUse AnthropicWire::cache_use(const SentBatch& b, const std::vector<std::string>& answered) {
  if (!b.cache_control) return {};
  const auto tokens = static_cast<std::int64_t>(b.cache_key.size() / 4);
  if (tokens < min_cacheable_tokens(b.model)) return {};  // too short: processed without caching
  const bool hit = std::find(answered.begin(), answered.end(), b.model + '\n' + b.cache_key) != answered.end();
  return hit ? CacheUse{0, tokens} : CacheUse{tokens, 0};
}

void AnthropicWire::remember(const SentBatch& b, std::vector<std::string>& answered) {
  const CacheUse use = cache_use(b, answered);
  if (use.written > 0) answered.push_back(b.model + '\n' + b.cache_key);
}

void AnthropicWire::report_cache(FakeResponse& r, const CacheUse& use) {
  tao::json::value v = tao::json::from_string(r.body);
  tao::json::value* usage = v.find("usage");
  if (usage == nullptr) return;
  const std::int64_t total = usage->at("input_tokens").as<std::int64_t>();
  // A script's made-up total may be under the prefix: the three counts still add up to it.
  const std::int64_t written = std::min(use.written, total);
  const std::int64_t read = std::min(use.read, total - written);
  (*usage)["input_tokens"] = total - written - read;
  (*usage)["cache_creation_input_tokens"] = written;
  (*usage)["cache_read_input_tokens"] = read;
  r.body = tao::json::to_string(v);
}

FakeResponse AnthropicWire::answer_text(const std::string& content) {
  tao::json::value blocks = tao::json::value::array({{{"type", "text"}, {"text", content}}});
  return json_response(200, anthropic_message(std::move(blocks), "end_turn", 1000, 50));
}

FakeResponse AnthropicWire::refusal(const std::string& why) {
  tao::json::value blocks = tao::json::value::array({{{"type", "text"}, {"text", why}}});
  return json_response(200, anthropic_message(std::move(blocks), "refusal", 1000, 10));
}

FakeResponse AnthropicWire::truncated() {
  tao::json::value content = tao::json::value::array(
      {{{"type", "tool_use"}, {"id", "toolu_test"}, {"name", "record_questions"}, {"input", tao::json::empty_object}}});
  return json_response(200, anthropic_message(std::move(content), "max_tokens", 1000, 4096));
}

FakeResponse AnthropicWire::rate_limited(const std::string& retry_after) {
  FakeResponse r = json_response(429, anthropic_error("rate_limit_error",
                                                      "This request would exceed the rate limit for your organization."));
  if (!retry_after.empty()) r.headers.emplace_back("retry-after", retry_after);
  return r;
}

FakeResponse AnthropicWire::overloaded() { return json_response(529, anthropic_error("overloaded_error", "Overloaded")); }

FakeResponse AnthropicWire::server_error() {
  return json_response(500, anthropic_error("api_error", "Internal server error"));
}

FakeResponse AnthropicWire::bad_key(const std::string& key) {
  return json_response(401, anthropic_error("authentication_error", "invalid x-api-key " + key));
}

FakeResponse AnthropicWire::quota() {
  return json_response(400, anthropic_error("invalid_request_error",
                                            "Your credit balance is too low to access the Anthropic API. Please go to "
                                            "Plans & Billing to upgrade or purchase credits."));
}

FakeResponse AnthropicWire::bad_request(const std::string& message) {
  return json_response(400, anthropic_error("invalid_request_error", message));
}

}  // namespace examq::test

namespace examq::test {

FakeResponse OpenAiWire::stream(const FakeResponse& r, const SentBatch& b) {
  if (r.status != 200) return r;
  const tao::json::value v = tao::json::from_string(r.body);
  const tao::json::value& choice = v.at("choices").get_array().front();
  const tao::json::value& message = choice.at("message");
  auto chunk = [&](tao::json::value choices) {
    tao::json::value c = {{"id", "chatcmpl-test"}, {"object", "chat.completion.chunk"}, {"created", 1700000000},
                          {"model", "gpt-test"}, {"choices", std::move(choices)}};
    if (b.include_usage) c["usage"] = tao::json::null;
    return c;
  };
  auto delta = [&](tao::json::value d, tao::json::value finish) {
    return chunk(tao::json::value::array({{{"index", 0}, {"delta", std::move(d)}, {"logprobs", tao::json::null},
                                           {"finish_reason", std::move(finish)}}}));
  };
  std::vector<tao::json::value> chunks;
  chunks.push_back(delta({{"role", "assistant"}, {"content", ""}, {"refusal", tao::json::null}}, tao::json::null));
  for (const char* field : {"content", "refusal"}) {
    const tao::json::value* text = message.find(field);
    if (text == nullptr || !text->is_string_type()) continue;
    for (const std::string& p : pieces(std::string(text->get_string_type()), r.stream_options.piece)) {
      chunks.push_back(delta({{field, p}}, tao::json::null));
    }
  }
  chunks.push_back(delta(tao::json::empty_object, choice.at("finish_reason")));
  if (b.include_usage) {
    tao::json::value last = chunk(tao::json::empty_array);
    last["usage"] = v.at("usage");
    chunks.push_back(std::move(last));
  }
  std::vector<std::string> events;
  for (const tao::json::value& c : chunks) events.push_back("data: " + tao::json::to_string(c) + "\n\n");
  events.push_back("data: [DONE]\n\n");
  return streamed(r, events, overloaded_event());
}

std::string OpenAiWire::overloaded_event() {
  return "data: " +
         tao::json::to_string(openai_error("The server is overloaded, please try again later.", "server_error", tao::json::null)) +
         "\n\n";
}

FakeResponse AnthropicWire::stream(const FakeResponse& r, const SentBatch&) {
  if (r.status != 200) return r;
  const tao::json::value v = tao::json::from_string(r.body);
  auto event = [](const std::string& name, const tao::json::value& data) {
    return "event: " + name + "\ndata: " + tao::json::to_string(data) + "\n\n";
  };
  tao::json::value start = v;
  start["content"] = tao::json::empty_array;
  start["stop_reason"] = tao::json::null;
  tao::json::value usage = v.at("usage");
  const tao::json::value output_tokens = usage.at("output_tokens");
  start["usage"]["output_tokens"] = 1;
  std::vector<std::string> events;
  events.push_back(event("message_start", {{"type", "message_start"}, {"message", start}}));
  events.push_back(event("ping", {{"type", "ping"}}));
  std::int64_t index = 0;
  for (const tao::json::value& block : v.at("content").get_array()) {
    tao::json::value opened = block;
    const std::string type(block.at("type").get_string_type());
    std::vector<tao::json::value> deltas;
    if (type == "tool_use") {
      opened["input"] = tao::json::empty_object;
      for (const std::string& p : pieces(tao::json::to_string(block.at("input")), r.stream_options.piece)) {
        deltas.push_back({{"type", "input_json_delta"}, {"partial_json", p}});
      }
    } else if (type == "text") {
      opened["text"] = "";
      for (const std::string& p : pieces(std::string(block.at("text").get_string_type()), r.stream_options.piece)) {
        deltas.push_back({{"type", "text_delta"}, {"text", p}});
      }
    }
    events.push_back(event("content_block_start", {{"type", "content_block_start"}, {"index", index}, {"content_block", opened}}));
    for (tao::json::value& d : deltas) {
      events.push_back(event("content_block_delta", {{"type", "content_block_delta"}, {"index", index}, {"delta", std::move(d)}}));
    }
    events.push_back(event("content_block_stop", {{"type", "content_block_stop"}, {"index", index}}));
    ++index;
  }
  events.push_back(event("message_delta", {{"type", "message_delta"},
                                           {"delta", {{"stop_reason", v.at("stop_reason")}, {"stop_sequence", tao::json::null}}},
                                           {"usage", {{"output_tokens", output_tokens}}}}));
  events.push_back(event("message_stop", {{"type", "message_stop"}}));
  return streamed(r, events, overloaded_event());
}

std::string AnthropicWire::overloaded_event() {
  return "event: error\ndata: " + tao::json::to_string(tao::json::value{{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}}) + "\n\n";
}

}  // namespace examq::test
