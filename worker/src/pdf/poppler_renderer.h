#pragma once

// Child-side only: this is the code that parses untrusted PDFs, and it runs inside
// examq-render, never in the worker (see sandbox.h).

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "pdf/document_info.h"
#include "pdf/gray_bitmap.h"
#include "pdf/jpeg_encoder.h"
#include "pdf/wire_format.h"

namespace examq::pdf {

struct PageRenderSettings {
  double dpi = 150;
  long max_pixels = 25'000'000;
  bool render_image = true;
  bool extract_words = true;
};

class SplashPageRenderer;

// One document, opened once, its pages rendered one after another. Not thread-safe.
//
// Built on Poppler's core API (PDFDoc, SplashOutputDev, TextOutputDev) rather than poppler-cpp:
// poppler-cpp builds a new SplashOutputDev for every page, so every page re-created the font
// engine and re-rasterised every glyph. Here one output device per colour mode lives as long as
// the document. Words are still exactly what poppler-cpp's page::text_list() reports.
class PopplerRenderer {
 public:
  // `pdf` must outlive the renderer (Poppler does not copy it). Returns null when Poppler cannot
  // load the document at all.
  static std::unique_ptr<PopplerRenderer> open(std::string_view pdf, int jpeg_quality);
  ~PopplerRenderer();

  // Lock state, then (only when unlocked: pages() and get_pdf_version() of a locked document
  // segfault in Poppler 22.12) page count, version and Info-dictionary strings.
  PopplerInfo info() const;

  // Every page's SplashPageRenderer::estimated_cost, in page order. Reads every page's
  // dictionary: call it only on an unlocked document whose page count is within the limit.
  std::vector<std::uint32_t> estimated_costs();

  // Renders page `page_number` (1-based). Throws std::runtime_error when the page cannot be
  // created or rendered, or the JPEG cannot be encoded.
  wire::PageReply render(int page_number, const PageRenderSettings& settings);

  // Renders page `page_number` (1-based) in grayscale at `dpi`, reduced like render() when the
  // bitmap would exceed `max_pixels`; throws std::runtime_error like render().
  GrayBitmap render_gray(int page_number, double dpi, long max_pixels);

 private:
  PopplerRenderer(std::unique_ptr<SplashPageRenderer> pages, int jpeg_quality);
  std::unique_ptr<SplashPageRenderer> pages_;
  JpegEncoder encoder_;
};

// Routes Poppler's error messages away from stderr: fuzzed files produce thousands of them.
void silence_poppler_errors();

}  // namespace examq::pdf
