#include "pdf/poppler_renderer.h"

#include <poppler/Error.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "pdf/splash_page_renderer.h"

namespace examq::pdf {
namespace {

void ignore_poppler_error(ErrorCategory, Goffset, const char*) {}

// The DPI at which a width x height (points) page fits in max_pixels: `dpi` unless that is
// too many pixels (posters, corrupt MediaBoxes).
double fitting_dpi(double width, double height, double dpi, long max_pixels) {
  const double pixels = (width * dpi / 72.0) * (height * dpi / 72.0);
  if (pixels > static_cast<double>(max_pixels) && pixels > 0) {
    return dpi * std::sqrt(static_cast<double>(max_pixels) / pixels);
  }
  return dpi;
}

// When Splash cannot allocate its bitmap it hands back a 1x1 one instead of failing.
void check_size(const BitmapView& bitmap, double width, double height, double dpi,
                int page_number) {
  const double expected_width = width * dpi / 72.0;
  const double expected_height = height * dpi / 72.0;
  if (bitmap.pixels == nullptr || bitmap.width <= 0 || bitmap.height <= 0 ||
      std::abs(bitmap.width - expected_width) > 2 || std::abs(bitmap.height - expected_height) > 2) {
    throw std::runtime_error("page " + std::to_string(page_number) + " cannot be rendered");
  }
}

}  // namespace

void silence_poppler_errors() { setErrorCallback(ignore_poppler_error); }

std::unique_ptr<PopplerRenderer> PopplerRenderer::open(std::string_view pdf, int jpeg_quality) {
  std::unique_ptr<SplashPageRenderer> pages = SplashPageRenderer::open(pdf);
  if (!pages) return nullptr;
  return std::unique_ptr<PopplerRenderer>(new PopplerRenderer(std::move(pages), jpeg_quality));
}

PopplerRenderer::PopplerRenderer(std::unique_ptr<SplashPageRenderer> pages, int jpeg_quality)
    : pages_(std::move(pages)), encoder_(jpeg_quality) {}

PopplerRenderer::~PopplerRenderer() = default;

PopplerInfo PopplerRenderer::info() const {
  PopplerInfo info;
  info.locked = pages_->locked();
  // On a locked document Poppler 22.12 segfaults for the version as well as the page count.
  if (info.locked) return info;
  info.pdf_version = pages_->pdf_version();
  info.page_count = pages_->page_count();
  info.title = pages_->title();
  info.producer = pages_->producer();
  return info;
}

std::vector<std::uint32_t> PopplerRenderer::estimated_costs() {
  std::vector<std::uint32_t> costs;
  const int pages = pages_->page_count();
  costs.reserve(static_cast<std::size_t>(std::max(pages, 0)));
  for (int page = 1; page <= pages; ++page) costs.push_back(pages_->estimated_cost(page));
  return costs;
}

wire::PageReply PopplerRenderer::render(int page_number, const PageRenderSettings& settings) {
  wire::PageReply reply;
  reply.page_number = page_number;
  reply.text.page_number = page_number;
  // The page as displayed: crop box, turned by /Rotate, which is also how the words' boxes are
  // reported and how the bitmap comes out.
  pages_->page_size(page_number, reply.text.width, reply.text.height);
  if (settings.extract_words) reply.text.words = pages_->words(page_number);

  reply.dpi = fitting_dpi(reply.text.width, reply.text.height, settings.dpi, settings.max_pixels);
  if (!settings.render_image) return reply;

  const BitmapView bitmap = pages_->render(page_number, reply.dpi, PixelMode::rgb24);
  check_size(bitmap, reply.text.width, reply.text.height, reply.dpi, page_number);
  reply.width = bitmap.width;
  reply.height = bitmap.height;
  reply.jpeg = encoder_.encode(bitmap.pixels, bitmap.width, bitmap.height, bitmap.stride,
                               JpegEncoder::PixelLayout::rgb24);
  return reply;
}

GrayBitmap PopplerRenderer::render_gray(int page_number, double dpi, long max_pixels) {
  double width = 0, height = 0;
  pages_->page_size(page_number, width, height);
  GrayBitmap out;
  out.dpi = fitting_dpi(width, height, dpi, max_pixels);
  // A grayscale page is for OCR, which needs memory more than the next colour page needs its
  // bitmap kept; and the copy returned here is the only one worth keeping.
  pages_->release_bitmap(PixelMode::rgb24);
  const BitmapView bitmap = pages_->render(page_number, out.dpi, PixelMode::gray8);
  struct ReleaseGray {
    SplashPageRenderer& pages;
    ~ReleaseGray() { pages.release_bitmap(PixelMode::gray8); }
  } release_gray{*pages_};
  check_size(bitmap, width, height, out.dpi, page_number);
  out.width = bitmap.width;
  out.height = bitmap.height;
  // Splash pads rows to 4 bytes; the contract is stride == width.
  out.pixels.resize(static_cast<std::size_t>(bitmap.width) * bitmap.height);
  for (int y = 0; y < bitmap.height; ++y) {
    std::memcpy(out.pixels.data() + static_cast<std::size_t>(y) * bitmap.width,
                bitmap.pixels + static_cast<std::size_t>(y) * bitmap.stride,
                static_cast<std::size_t>(bitmap.width));
  }
  return out;
}

}  // namespace examq::pdf
