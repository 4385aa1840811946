#include "pdf/pdf_error.h"

namespace examq::pdf {

bool PdfError::critical() const {
  return kind_ != PdfErrorKind::cancelled && kind_ != PdfErrorKind::sandbox_unavailable &&
         kind_ != PdfErrorKind::ocr_unavailable;
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
    case PdfErrorKind::cancelled: return "cancelled";
    case PdfErrorKind::sandbox_unavailable: return "sandbox_unavailable";
    case PdfErrorKind::ocr_unavailable: return "ocr_unavailable";
  }
  return "unknown";
}

}  // namespace examq::pdf
