#pragma once

#include <string_view>

#include "pdf/document_info.h"
#include "pdf/render_options.h"

namespace examq::pdf {

// The checks that need no parsing, done in the worker itself before any child is started:
// empty, over the size limit, or (if limits.require_header) no `%PDF-` header in the first
// 1024 bytes. Throws PdfError (empty_file, too_large, not_a_pdf).
void check_pdf_bytes(std::string_view pdf, const PdfLimits& limits);

// The checks on what the sandboxed parser found: locked, no pages, too many pages.
// Throws PdfError (password_protected, no_pages, too_many_pages).
void check_document(const PopplerInfo& info, const PdfLimits& limits);

}  // namespace examq::pdf
