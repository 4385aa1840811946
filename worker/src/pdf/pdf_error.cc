#include "pdf/pdf_error.h"

namespace examq::pdf {

// The time limits (RequestClock, sandbox.h) split two ways:
// - renderer_timed_out stays critical: the request used EXAMQ_RENDER_TIMEOUT of the child's own
//   CPU time, which the machine's load does not inflate, so the same page would burn it again;
//   a retry would cost another minute of a core for the same failure.
// - renderer_hung is retryable: the wall-clock backstop fired while the child used less CPU
//   than its limit, so it was stopped, blocked or starved for minutes (a frozen cgroup, a
//   machine swapping or far past its cores), which is the machine's state, not the PDF's. The
//   job's retries (with backoff, up to its max attempts) bound what a PDF that really does hang
//   without CPU can cost.
bool PdfError::critical() const {
  return kind_ != PdfErrorKind::cancelled && kind_ != PdfErrorKind::renderer_hung &&
         kind_ != PdfErrorKind::sandbox_unavailable && kind_ != PdfErrorKind::ocr_unavailable;
}

const char* to_string(PdfErrorKind kind) {
  switch (kind) {
    case PdfErrorKind::empty_file: return "empty_file";
    case PdfErrorKind::not_a_pdf: return "not_a_pdf";
    case PdfErrorKind::too_large: return "too_large";
    case PdfErrorKind::password_protected: return "password_protected";
    case PdfErrorKind::too_many_pages: return "too_many_pages";
    case PdfErrorKind::no_pages: return "no_pages";
    case PdfErrorKind::unreadable: return "unreadable";
    case PdfErrorKind::page_unreadable: return "page_unreadable";
    case PdfErrorKind::image_unreadable: return "image_unreadable";
    case PdfErrorKind::renderer_crashed: return "renderer_crashed";
    case PdfErrorKind::renderer_timed_out: return "renderer_timed_out";
    case PdfErrorKind::renderer_out_of_memory: return "renderer_out_of_memory";
    case PdfErrorKind::renderer_cpu_limit: return "renderer_cpu_limit";
    case PdfErrorKind::renderer_failed: return "renderer_failed";
    case PdfErrorKind::renderer_hung: return "renderer_hung";
    case PdfErrorKind::cancelled: return "cancelled";
    case PdfErrorKind::sandbox_unavailable: return "sandbox_unavailable";
    case PdfErrorKind::ocr_unavailable: return "ocr_unavailable";
  }
  return "unknown";
}

}  // namespace examq::pdf
