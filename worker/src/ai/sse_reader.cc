#include "ai/sse_reader.h"

namespace examq::ai {

void SseReader::feed(std::string_view bytes) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c != '\r' && c != '\n') {
      after_cr_ = false;
      continue;
    }
    if (c == '\n' && after_cr_ && partial_.empty() && i == start) {
      // The LF of a CRLF whose CR ended the previous line (possibly in the previous feed).
      after_cr_ = false;
      start = i + 1;
      continue;
    }
    partial_.append(bytes.substr(start, i - start));
    line(partial_);
    partial_.clear();
    after_cr_ = c == '\r';
    start = i + 1;
  }
  partial_.append(bytes.substr(start));
}

void SseReader::finish() {
  if (!partial_.empty()) {
    line(partial_);
    partial_.clear();
  }
  if (has_data_) dispatch();
}

std::vector<SseEvent> SseReader::take() {
  std::vector<SseEvent> out;
  out.swap(events_);
  return out;
}

void SseReader::line(std::string_view text) {
  if (text.empty()) {
    if (has_data_) dispatch();
    current_ = SseEvent{};
    has_data_ = has_fields_ = false;
    return;
  }
  if (text.front() == ':') return;  // a comment
  std::string_view field = text, value;
  if (std::size_t colon = text.find(':'); colon != std::string_view::npos) {
    field = text.substr(0, colon);
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  has_fields_ = true;
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event = value.empty() ? "message" : std::string(value);
  }
  // "id" and "retry" concern reconnecting, which a POST answer is not: ignored.
}

void SseReader::dispatch() {
  events_.push_back(std::move(current_));
  current_ = SseEvent{};
  has_data_ = has_fields_ = false;
}

std::vector<SseEvent> read_sse(std::string_view stream) {
  SseReader reader;
  reader.feed(stream);
  reader.finish();
  return reader.take();
}

bool looks_like_event_stream(std::string_view body) {
  std::size_t i = body.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos) return true;  // an empty stream: cut before its first event
  return body[i] != '{' && body[i] != '[';
}

}  // namespace examq::ai
