#pragma once
// The embedded "text" backend: segments a born-digital paper from the words and positions of its
// text layer, with no network and no model. Scanned pages arrive with words read by OCR in the
// render children (pdf/ocr_engine.h) and are segmented the same way; their rows get source "ocr".

#include "extract/extractor.h"
#include "extract/reading_order.h"

namespace examq::extract {

class TextExtractor final : public Extractor {
 public:
  std::string_view name() const override { return "text"; }

  // Per page: words -> lines (line_builder), dot leaders removed (dot_leaders); then furniture
  // removed across the paper (page_furniture); then per page, reading order and columns
  // (reading_order), reporting progress after each page; then margins and segmentation
  // (segmenter). Pages are taken in the order given. Only the first 20,000 words of a page are
  // read (a real page has under 2,000), which bounds time and memory on hostile text layers.
  std::vector<Question> extract(const std::vector<pdf::PageText>& pages, const ProgressFn& progress,
                                std::stop_token cancel) const override;
};

// The first half of TextExtractor::extract: the paper's body lines in reading order, furniture,
// leaders and margin text removed, margins assigned. Exposed for tools that show what the
// segmenter sees (tests/extract/extract_file_main.cc).
std::vector<Region> layout_paper(const std::vector<pdf::PageText>& pages, const ProgressFn& progress,
                                 std::stop_token cancel);

}  // namespace examq::extract
