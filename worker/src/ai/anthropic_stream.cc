// Anthropic's streamed Messages API (https://docs.anthropic.com/en/api/messages-streaming):
// "event: NAME" + "data: JSON" whose "type" is NAME. The flow: message_start (a Message with
// empty content and the input usage); per content block content_block_start (the block, with
// "input": {} for tool_use), content_block_delta (text_delta: "text"; input_json_delta:
// "partial_json", pieces of the tool input's JSON text, to be joined and parsed at
// content_block_stop; thinking_delta / signature_delta), content_block_stop; one or more
// message_delta (delta.stop_reason / stop_sequence, and "usage" whose counts are cumulative);
// message_stop last. Any number of ping events. An "event: error" (e.g. overloaded_error,
// "which would normally correspond to an HTTP 529 in a non-streaming context") may come
// mid-stream; new event types may be added and are ignored.

#include <map>

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include "ai/provider_api.h"
#include "ai/sse_reader.h"
#include "ai/streaming.h"

namespace examq::ai {
namespace {

// The HTTP status of each error type (https://docs.anthropic.com/en/api/errors).
long anthropic_error_status(const std::string& type) {
  static const std::map<std::string, long> statuses = {
      {"invalid_request_error", 400}, {"authentication_error", 401}, {"billing_error", 402},
      {"permission_error", 403},      {"not_found_error", 404},      {"request_too_large", 413},
      {"rate_limit_error", 429},      {"api_error", 500},            {"timeout_error", 504},
      {"overloaded_error", 529},
  };
  auto it = statuses.find(type);
  return it == statuses.end() ? 500 : it->second;
}

struct Block {
  tao::json::value block;
  std::string partial_json;
  bool has_partial = false;
};

// A tool_use block's input from its joined partial_json: the parsed value, or the text itself
// when it does not parse (a cut-off answer, which stop_reason max_tokens explains; otherwise the
// answer parser rejects it as it would a non-JSON string input).
void close_block(Block& b) {
  if (!b.has_partial) return;
  tao::json::value input;
  try {
    input = tao::json::from_string(b.partial_json);
  } catch (const std::exception&) {
    input = b.partial_json;
  }
  b.block["input"] = std::move(input);
  b.has_partial = false;
}

}  // namespace

FoldedStream fold_anthropic_stream(std::string_view stream) {
  FoldedStream out;
  tao::json::value message;
  std::map<std::int64_t, Block> blocks;
  bool started = false, stopped = false;
  for (const SseEvent& e : read_sse(stream)) {
    ++out.events;
    tao::json::value data;
    try {
      data = tao::json::from_string(e.data);
    } catch (const std::exception&) {
      out.outcome = FoldedStream::Outcome::unreadable;
      out.detail = "event " + std::to_string(out.events) + " (" + e.event + ") is not JSON";
      return out;
    }
    if (!data.is_object()) continue;
    std::string type = string_at(&data, "type");
    if (type.empty()) type = e.event;
    if (type == "ping") continue;
    if (type == "error") {
      const tao::json::value* error = data.find("error");
      out.outcome = FoldedStream::Outcome::error;
      out.status = anthropic_error_status(string_at(error, "type"));
      if (error != nullptr && error->is_object()) {
        data["error"]["message"] = string_at(error, "message") + " (an error event " + std::to_string(out.events) +
                                   " events into the stream)";
      }
      out.body = tao::json::to_string(data);
      return out;
    }
    if (type == "message_start") {
      if (const tao::json::value* m = data.find("message"); m != nullptr && m->is_object()) message = *m;
      started = true;
    } else if (type == "content_block_start") {
      Block& b = blocks[count_at(&data, "index")];
      if (const tao::json::value* cb = data.find("content_block"); cb != nullptr && cb->is_object()) b.block = *cb;
    } else if (type == "content_block_delta") {
      Block& b = blocks[count_at(&data, "index")];
      const tao::json::value* delta = data.find("delta");
      const std::string kind = string_at(delta, "type");
      if (!b.block.is_object()) b.block = tao::json::empty_object;
      if (kind == "text_delta") {
        b.block["text"] = string_at(&b.block, "text") + string_at(delta, "text");
      } else if (kind == "input_json_delta") {
        b.partial_json += string_at(delta, "partial_json");
        b.has_partial = true;
      } else if (kind == "thinking_delta") {
        b.block["thinking"] = string_at(&b.block, "thinking") + string_at(delta, "thinking");
      }
    } else if (type == "content_block_stop") {
      close_block(blocks[count_at(&data, "index")]);
    } else if (type == "message_delta") {
      if (!message.is_object()) message = tao::json::empty_object;
      if (const tao::json::value* delta = data.find("delta"); delta != nullptr && delta->is_object()) {
        for (const char* key : {"stop_reason", "stop_sequence"}) {
          if (const tao::json::value* v = delta->find(key)) message[key] = *v;
        }
      }
      if (const tao::json::value* u = data.find("usage"); u != nullptr && u->is_object()) {
        tao::json::value& usage = message["usage"];
        if (!usage.is_object()) usage = tao::json::empty_object;
        for (const auto& [k, v] : u->get_object()) {
          if (!v.is_null()) usage[k] = v;  // cumulative: the latest count replaces the earlier one
        }
      }
    } else if (type == "message_stop") {
      stopped = true;
      break;
    }
  }
  if (!stopped) {
    out.outcome = FoldedStream::Outcome::cut;
    out.detail = started ? "no message_stop" : "no message_start";
    return out;
  }
  if (!message.is_object()) message = tao::json::empty_object;
  tao::json::value content = tao::json::empty_array;
  for (auto& [index, b] : blocks) {
    close_block(b);
    if (b.block.is_object()) content.get_array().push_back(std::move(b.block));
  }
  message["content"] = std::move(content);
  out.outcome = FoldedStream::Outcome::complete;
  out.body = tao::json::to_string(message);
  return out;
}

}  // namespace examq::ai
