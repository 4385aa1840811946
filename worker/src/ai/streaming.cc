#include "ai/streaming.h"

#include <algorithm>

#include "ai/sse_reader.h"

namespace examq::ai {

StreamFormat stream_format(const AiConfig& config) {
  if (config.stream == StreamMode::off) return StreamFormat::none;
  // auto and on alike: both providers' formats are read (and compatible local servers speak
  // OpenAI's); a server that answers plain JSON anyway is read as such.
  return config.provider == Provider::anthropic ? StreamFormat::anthropic : StreamFormat::openai;
}

TransferOptions transfer_options(const AiConfig& config, util::Duration time_left) {
  TransferOptions options;
  options.connect_timeout = config.connect_timeout;
  options.ca_file = config.ca_file;
  options.stream = stream_format(config);
  if (options.stream == StreamFormat::none) {
    options.timeout = std::min(config.request_timeout, time_left);
  } else {
    options.timeout = std::min(config.request_max_time, time_left);
    options.silence_timeout = config.request_timeout;
  }
  return options;
}

void settle_stream(StreamFormat format, HttpResponse& r) {
  if (format == StreamFormat::none || r.curl_code != CURLE_OK || r.status < 200 || r.status >= 300) return;
  if (!looks_like_event_stream(r.body)) return;
  FoldedStream f = format == StreamFormat::openai ? fold_openai_stream(r.body) : fold_anthropic_stream(r.body);
  switch (f.outcome) {
    case FoldedStream::Outcome::complete:
      r.body = std::move(f.body);
      return;
    case FoldedStream::Outcome::error:
      r.status = f.status;
      r.body = std::move(f.body);
      return;
    case FoldedStream::Outcome::cut:
      r.curl_code = CURLE_PARTIAL_FILE;
      r.curl_error = "the event stream ended before its final event (" + f.detail + ", after " +
                     std::to_string(f.events) + " events)";
      r.body.clear();
      return;
    case FoldedStream::Outcome::unreadable:
      // Left to read_reply, which finds no JSON and says so: an unusable answer, asked again once.
      r.body = "event stream: " + f.detail;
      return;
  }
}

}  // namespace examq::ai
