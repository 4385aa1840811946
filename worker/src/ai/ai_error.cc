#include "ai/ai_error.h"

namespace examq::ai {

std::string_view kind_name(AiErrorKind kind) {
  switch (kind) {
    case AiErrorKind::key_rejected: return "key_rejected";
    case AiErrorKind::quota_exhausted: return "quota_exhausted";
    case AiErrorKind::request_rejected: return "request_rejected";
    case AiErrorKind::bad_answer: return "bad_answer";
    case AiErrorKind::tls: return "tls";
    case AiErrorKind::unavailable: return "unavailable";
    case AiErrorKind::deadline: return "deadline";
    case AiErrorKind::rate_limited: return "rate_limited";
    case AiErrorKind::bad_image: return "bad_image";
  }
  return "unknown";
}

}  // namespace examq::ai
