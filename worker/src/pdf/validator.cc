#include "pdf/validator.h"

#include <cstdio>
#include <string>

#include "pdf/pdf_error.h"

namespace examq::pdf {
namespace {

// "12.3 MB" with one decimal, or whole MB when exact ("50 MB").
std::string megabytes(std::size_t bytes) {
  constexpr double kMb = 1024.0 * 1024.0;
  char text[32];
  if (bytes % (1u << 20) == 0) {
    std::snprintf(text, sizeof text, "%zu MB", bytes >> 20);
  } else {
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / kMb);
  }
  return text;
}

}  // namespace

void check_pdf_bytes(std::string_view pdf, const PdfLimits& limits) {
  if (pdf.empty()) throw PdfError(PdfErrorKind::empty_file, "file is empty");
  if (pdf.size() > limits.max_bytes) {
    throw PdfError(PdfErrorKind::too_large, "file is " + megabytes(pdf.size()) +
                                                "; the limit is " + megabytes(limits.max_bytes));
  }
  // PDF readers accept junk before the header within the first 1024 bytes; so do we.
  if (limits.require_header && pdf.substr(0, 1024).find("%PDF-") == std::string_view::npos) {
    throw PdfError(PdfErrorKind::not_a_pdf, "file is not a PDF");
  }
}

void check_document(const PopplerInfo& info, const PdfLimits& limits) {
  if (info.locked) throw PdfError(PdfErrorKind::password_protected, "PDF is password-protected");
  if (info.page_count <= 0) throw PdfError(PdfErrorKind::no_pages, "PDF has no pages");
  if (info.page_count > limits.max_pages) {
    throw PdfError(PdfErrorKind::too_many_pages,
                   "PDF has " + std::to_string(info.page_count) + " pages; the limit is " +
                       std::to_string(limits.max_pages));
  }
}

}  // namespace examq::pdf
