#pragma once
// The framing of a server-sent event stream (text/event-stream), as the WHATWG HTML standard's
// "Server-sent events" section defines it (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// lines end in CRLF, LF or CR; a blank line dispatches the event; "field: value" (one leading
// space of the value dropped); data lines are joined with "\n"; lines starting with ':' are
// comments (keep-alives); the event name defaults to "message". Both providers' streams
// (openai_stream.h, anthropic_stream.h) are read through it.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace examq::ai {

struct SseEvent {
  std::string event = "message";  // the "event:" field, or "message"
  std::string data;               // the "data:" lines, joined with "\n"
};

class SseReader {
 public:
  // Adds bytes as they arrive (any split, even inside a CRLF).
  void feed(std::string_view bytes);
  // Ends the stream. The standard discards an event whose blank line never came; this reader
  // dispatches it when it has data, as a server that ends on "data: [DONE]\n" (no blank line)
  // still meant it. Whether the stream was complete is the provider reader's question (its final
  // event).
  void finish();
  // The events dispatched so far, in order; taken by the caller.
  std::vector<SseEvent> take();

 private:
  void line(std::string_view text);
  void dispatch();

  std::string partial_;  // an unterminated line
  bool after_cr_ = false;  // the last byte was CR: a following LF belongs to it
  SseEvent current_;
  bool has_data_ = false;
  bool has_fields_ = false;
  std::vector<SseEvent> events_;
};

// The events of a whole stream (feed + finish + take).
std::vector<SseEvent> read_sse(std::string_view stream);

// True when a 2xx body is an event stream rather than one JSON document: a server asked to
// stream that answers plain JSON anyway (some local servers) is read as before.
bool looks_like_event_stream(std::string_view body);

}  // namespace examq::ai
