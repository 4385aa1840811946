#pragma once

#include "pdf/pdf_error.h"
#include "pdf/render_options.h"

namespace examq::pdf {

// Proves, before any job runs, that the OCR the options ask for can work here: starts
// `examq-render ocr-check` in the sandbox, which loads Tesseract's languages (and checks the
// orientation model is there) exactly as a render child would, and waits for its answer (at most
// options.sandbox.timeout). So a missing language pack stops the worker at start with a clear
// message, instead of failing jobs half-way through a scanned paper.
//
// Does nothing when options.ocr.mode is off or options.extract_words is false. Throws
// PdfError(ocr_unavailable) with the child's message ("OCR language 'deu' is not installed: no
// deu.traineddata in /usr/share/tesseract-ocr/5/tessdata (Debian package tesseract-ocr-deu)"),
// or PdfError(sandbox_unavailable) when the helper cannot be started.
void check_ocr_available(const RenderOptions& options);

}  // namespace examq::pdf
