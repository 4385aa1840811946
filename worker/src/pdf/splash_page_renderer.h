#pragma once

// Child-side only (see poppler_renderer.h): Poppler's core API behind a small interface, so that
// no other file includes Poppler's private headers.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pdf/page_text.h"

class GlobalParamsIniter;
class PDFDoc;
class SplashOutputDev;

namespace examq::pdf {

// A bitmap owned by the renderer, valid until its next render call. Rows top to bottom.
struct BitmapView {
  const unsigned char* pixels = nullptr;
  int width = 0, height = 0;
  int stride = 0;  // bytes per row
};

enum class PixelMode { rgb24, gray8 };

// One PDFDoc over the caller's bytes and, per pixel mode, one SplashOutputDev kept across pages
// (started once: its font engine and glyph caches serve every page). Settings as pdftoppm's
// defaults and poppler-cpp's page_renderer with antialiasing + text_antialiasing: vector and
// font anti-aliasing, no FreeType hinting, white paper, crop box. Not thread-safe.
class SplashPageRenderer {
 public:
  // `pdf` must outlive the renderer. Null when Poppler cannot load the document, exactly when
  // poppler::document::load_from_raw_data returns null (a locked document does load).
  static std::unique_ptr<SplashPageRenderer> open(std::string_view pdf);
  ~SplashPageRenderer();
  SplashPageRenderer(const SplashPageRenderer&) = delete;
  SplashPageRenderer& operator=(const SplashPageRenderer&) = delete;

  // A document that needs a password. None of the calls below may be made on it: Poppler 22.12
  // dereferences null for the page count or version of a locked document.
  bool locked() const { return locked_; }
  int page_count() const;
  std::string pdf_version() const;  // "major.minor"
  // Info-dictionary strings in UTF-8, converted as poppler-cpp's get_title()/get_producer().
  std::string title() const;
  std::string producer() const;

  // Size in points of page `page_number` (1-based) as displayed: crop box, turned by /Rotate.
  // Throws std::runtime_error when the page cannot be read.
  void page_size(int page_number, double& width, double& height) const;

  // A cheap guess at how long page `page_number` takes to render, in microseconds of a
  // 2020s CPU at 150 DPI, for the parent to hand out the heaviest pages first. Reads only
  // dictionaries and stream lengths, never decodes a stream: the sizes of the content streams
  // (the page's and its form XObjects', nested a few levels), image pixels, and a fixed charge
  // per pattern and shading (tiling patterns and smooth shadings are what makes a page of
  // figures slow; a page of text costs about the same whatever its length). 0 when the page
  // cannot be read. Only relative values matter.
  std::uint32_t estimated_cost(int page_number);

  // The page's words exactly as poppler-cpp's page::text_list() reports them: one per word,
  // bbox in points of the page as displayed, origin top-left.
  std::vector<Word> words(int page_number);

  // Renders the page at `dpi` in `mode`. The view is empty (null pixels) when Splash produced
  // nothing; callers check its size (Splash hands back a 1x1 bitmap when allocation fails).
  BitmapView render(int page_number, double dpi, PixelMode mode);

  // Frees the bitmap kept by `mode`'s device for the next page of the same size (the colour one
  // can be 100 MB; OCR wants the memory more).
  void release_bitmap(PixelMode mode);

 private:
  SplashPageRenderer();
  SplashOutputDev& device(PixelMode mode);

  std::unique_ptr<GlobalParamsIniter> global_params_;  // first in, last out
  std::unique_ptr<PDFDoc> doc_;
  std::unique_ptr<SplashOutputDev> rgb_;
  std::unique_ptr<SplashOutputDev> gray_;
  bool locked_ = false;
};

}  // namespace examq::pdf
