#pragma once
// Streamed answers (EXAMQ_AI_STREAM): the request asks for a server-sent event stream, the
// transfer measures silence instead of total time (http_transfer.h: no byte for
// EXAMQ_AI_REQUEST_TIMEOUT fails it, EXAMQ_AI_REQUEST_MAX_TIME caps the whole request), and once
// the stream is complete it is folded into the body the non-streamed API would have sent, so the
// providers' read_reply() and everything after it are the same for both modes:
//   - a complete stream (OpenAI's "data: [DONE]", Anthropic's message_stop) becomes that body;
//   - an error event mid-stream becomes the HTTP status and error body the same error has
//     without streaming (Anthropic's overloaded_error is 529, as its docs say), so it is retried
//     or snoozed exactly as that status is;
//   - a stream that ends without its final event is a transfer error (CURLE_PARTIAL_FILE),
//     retried like a dropped connection.
// A 2xx body that is plain JSON (a server that ignored "stream": true) is left as it is.

#include <cstddef>
#include <string>
#include <string_view>

#include "ai/ai_config.h"
#include "ai/http_transfer.h"

namespace examq::ai {

// How `config` sends its requests: StreamFormat::none when EXAMQ_AI_STREAM=off.
StreamFormat stream_format(const AiConfig& config);

// The options of one request with `time_left` before the job's deadline: streamed, the whole
// request is capped by min(request_max_time, time_left) and request_timeout is the longest
// silence; not streamed, request_timeout (or time_left) caps the whole request, as before.
TransferOptions transfer_options(const AiConfig& config, util::Duration time_left);

struct FoldedStream {
  enum class Outcome { complete, error, cut, unreadable };
  Outcome outcome = Outcome::cut;
  // complete: the non-streamed response body; error: the non-streamed error body for `status`.
  std::string body;
  long status = 200;
  std::size_t events = 0;  // events read
  std::string detail;      // cut / unreadable: what was wrong
};

// The provider readers (openai_stream.cc, anthropic_stream.cc).
FoldedStream fold_openai_stream(std::string_view stream);
FoldedStream fold_anthropic_stream(std::string_view stream);

// Replaces a finished streamed 2xx response by what the non-streamed request would have
// answered (see above). Anything else is left alone.
void settle_stream(StreamFormat format, HttpResponse& response);

}  // namespace examq::ai
