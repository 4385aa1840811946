#pragma once

#include <string>
#include <vector>

#include "pdf/document_info.h"
#include "pdf/page_text.h"

namespace examq::pdf {

// One rendered page, as stored in exam_paper_pages.
struct RenderedPage {
  int page_number = 0;  // 1-based
  int width = 0;        // pixels of the JPEG (0 when images were not rendered)
  int height = 0;
  double dpi = 0;       // the DPI used (lower than asked only for oversized pages)
  std::string jpeg;     // baseline JPEG bytes; empty when images were not rendered
  PageText text;        // words in points, origin top-left; page size in points
  double render_seconds = 0;  // in the child: rendering with the text layer
  double ocr_seconds = 0;     // in the child: OCR, when the page was read by it
};

struct RenderStats {
  int processes = 0;          // render children started
  int ocr_pages = 0;          // pages whose words were read by OCR
  double seconds = 0;         // wall time of the whole call
  double open_seconds = 0;    // until the first child had validated the document
};

struct RenderedDocument {
  DocumentInfo info;
  std::vector<RenderedPage> pages;  // every page, in page order
  RenderStats stats;
};

}  // namespace examq::pdf
