// OpenAI's streamed Chat Completions: every event is "data: <chat.completion.chunk JSON>", the
// last "data: [DONE]". A chunk's choices[0].delta carries pieces of the message (role, content,
// refusal) and its finish_reason once; with stream_options {"include_usage": true} one more chunk
// before [DONE] has "choices": [] and the usage of the whole request (the other chunks
// "usage": null). See https://platform.openai.com/docs/api-reference/chat/streaming and
// https://platform.openai.com/docs/api-reference/chat/create#chat-create-stream_options.
// An error mid-stream arrives as "data: {"error": {...}}" (OpenAI, vLLM, llama.cpp, Ollama);
// its status is recovered from its type or code so that classify_failure() reads it as it
// would the same error before the stream (an "overloaded" one as 529).
// Ollama, llama.cpp's server and vLLM stream this same format.

#include <algorithm>
#include <cctype>

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include "ai/provider_api.h"
#include "ai/sse_reader.h"
#include "ai/streaming.h"

namespace examq::ai {
namespace {

std::string folded(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

long openai_error_status(const tao::json::value& error) {
  const tao::json::value* code = error.is_object() ? error.find("code") : nullptr;
  if (code != nullptr && code->is_integer()) {
    const std::int64_t n = code->is_signed() ? code->get_signed() : static_cast<std::int64_t>(code->get_unsigned());
    if (n >= 400 && n <= 599) return static_cast<long>(n);  // vLLM's {"code": 503, ...}
  }
  const std::string what = folded(string_at(&error, "type") + " " + string_at(&error, "code") + " " +
                                  (error.is_string_type() ? std::string(error.get_string_type()) : string_at(&error, "message")));
  if (what.find("insufficient_quota") != std::string::npos) return 429;  // classify_failure: a spent quota
  if (what.find("rate_limit") != std::string::npos) return 429;
  if (what.find("overloaded") != std::string::npos) return 529;
  if (what.find("invalid_api_key") != std::string::npos || what.find("authentication") != std::string::npos) return 401;
  if (what.find("invalid_request") != std::string::npos) return 400;
  return 500;
}

}  // namespace

FoldedStream fold_openai_stream(std::string_view stream) {
  FoldedStream out;
  std::string content, refusal, finish, id = "chatcmpl-stream", model;
  bool has_content = false, has_refusal = false, done = false;
  tao::json::value usage = tao::json::null;
  std::int64_t created = 0;
  for (const SseEvent& e : read_sse(stream)) {
    ++out.events;
    if (e.data == "[DONE]") {
      done = true;
      break;
    }
    tao::json::value chunk;
    try {
      chunk = tao::json::from_string(e.data);
    } catch (const std::exception&) {
      out.outcome = FoldedStream::Outcome::unreadable;
      out.detail = "event " + std::to_string(out.events) + " is not JSON";
      return out;
    }
    if (!chunk.is_object()) continue;
    if (const tao::json::value* error = chunk.find("error"); error != nullptr && !error->is_null()) {
      out.outcome = FoldedStream::Outcome::error;
      out.status = openai_error_status(*error);
      tao::json::value body = {{"error", *error}};
      if (error->is_object()) {
        body["error"]["message"] = string_at(error, "message") + " (an error event " + std::to_string(out.events) +
                                   " events into the stream)";
      }
      out.body = tao::json::to_string(body);
      return out;
    }
    if (std::string s = string_at(&chunk, "id"); !s.empty()) id = s;
    if (std::string s = string_at(&chunk, "model"); !s.empty()) model = s;
    if (created == 0) created = count_at(&chunk, "created");
    if (const tao::json::value* u = chunk.find("usage"); u != nullptr && u->is_object()) usage = *u;
    const tao::json::value* choices = chunk.find("choices");
    if (choices == nullptr || !choices->is_array()) continue;
    for (const tao::json::value& choice : choices->get_array()) {
      if (!choice.is_object() || count_at(&choice, "index") != 0) continue;
      if (const tao::json::value* delta = choice.find("delta"); delta != nullptr && delta->is_object()) {
        if (const tao::json::value* c = delta->find("content"); c != nullptr && c->is_string_type()) {
          content += c->get_string_type();
          has_content = true;
        }
        if (const tao::json::value* r = delta->find("refusal"); r != nullptr && r->is_string_type()) {
          refusal += r->get_string_type();
          has_refusal = true;
        }
      }
      if (std::string f = string_at(&choice, "finish_reason"); !f.empty()) finish = f;
    }
  }
  if (!done) {
    out.outcome = FoldedStream::Outcome::cut;
    out.detail = "no data: [DONE]";
    return out;
  }
  tao::json::value message = {{"role", "assistant"}};
  message["content"] = has_content ? tao::json::value(content) : tao::json::value(tao::json::null);
  message["refusal"] = has_refusal ? tao::json::value(refusal) : tao::json::value(tao::json::null);
  tao::json::value choice = {{"index", 0}, {"message", std::move(message)}};
  choice["finish_reason"] = finish.empty() ? tao::json::value(tao::json::null) : tao::json::value(finish);
  tao::json::value body = {{"id", id},
                           {"object", "chat.completion"},
                           {"created", created},
                           {"model", model},
                           {"choices", tao::json::value::array({std::move(choice)})}};
  body["usage"] = std::move(usage);
  out.outcome = FoldedStream::Outcome::complete;
  out.body = tao::json::to_string(body);
  return out;
}

}  // namespace examq::ai
