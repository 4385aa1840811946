#pragma once

// The entry point of this part: validate, read and render an untrusted PDF in sandboxed child
// processes (examq-render, see sandbox.h), never in the calling process.
//
// Pages are spread over up to RenderOptions::max_processes children, and over no more than
// the process-wide limit (set_render_process_limit) counted across concurrent calls. Each
// child loads the document once and is handed the next unrendered pages as it finishes them
// (two requested ahead, so it never waits for the parent): a slow page does not hold up a
// whole range. Pages are handed out heaviest first, by the first child's cheap per-page cost
// estimate (sent with its Info), so a slow page starts early instead of ending the call with
// the other children idle; they still come back (and are counted by progress) in any order
// and are returned in page order. The first child opens and validates the document alone; the others start only
// once it has been found readable, unlocked and within the page limit, so a file that is
// rejected costs one process, not all of them.
//
// Both functions block the calling thread, are safe to call from several threads at once, and
// throw PdfError (see pdf_error.h for which kinds are critical). Whatever happens, every child
// they started has been killed and reaped when they return or throw.

#include <functional>
#include <string_view>

#include "pdf/document_info.h"
#include "pdf/pdf_error.h"
#include "pdf/render_options.h"
#include "pdf/rendered_page.h"

namespace examq::pdf {

// Called in the calling thread after each page arrives: (pages done, page count, pages of those
// read by OCR). Rate limiting (for progress rows in the database) is the caller's business.
using ProgressCallback = std::function<void(int pages_done, int page_count, int ocr_pages)>;
// Polled at least every 100 ms; returning true kills the children and throws
// PdfError(cancelled). Also the way to impose an overall deadline.
using CancelCheck = std::function<bool()>;

// Checks the bytes (check_pdf_bytes), opens the document in a child (locked? page count within
// the limit?), reads PoDoFo metadata in another child (unless options.read_metadata is false;
// PoDoFo failing only fills DocumentInfo::podofo_error) and renders every page at options.dpi
// to JPEG with its words. With options.extract_words, pages without a usable text layer are read
// by OCR in the same children (options.ocr); their PageText says so.
RenderedDocument render_pdf(std::string_view pdf, const RenderOptions& options,
                            const ProgressCallback& progress = {},
                            const CancelCheck& cancelled = {});

// Caps the render children of all concurrent calls in this process (default, or n <= 0: the
// number of online CPUs). Each call still always gets one child, so with more concurrent calls
// than the limit each runs on one; a call alone uses up to its max_processes.
void set_render_process_limit(int processes);

// The same validation and metadata without rendering a page (e.g. when the pages are already
// stored from an earlier attempt).
DocumentInfo inspect_pdf(std::string_view pdf, const RenderOptions& options,
                         const CancelCheck& cancelled = {});

}  // namespace examq::pdf
