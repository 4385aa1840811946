#include "pdf/poppler_renderer.h"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace examq::pdf {
namespace {

std::string utf8(const poppler::ustring& s) {
  const poppler::byte_array bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

void ignore_poppler_error(const std::string&, void*) {}

}  // namespace

void silence_poppler_errors() { poppler::set_debug_error_function(ignore_poppler_error, nullptr); }

std::unique_ptr<PopplerRenderer> PopplerRenderer::open(std::string_view pdf, int jpeg_quality) {
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(
      pdf.data(), static_cast<int>(pdf.size())));
  if (!doc) return nullptr;
  return std::unique_ptr<PopplerRenderer>(new PopplerRenderer(std::move(doc), jpeg_quality));
}

PopplerRenderer::PopplerRenderer(std::unique_ptr<poppler::document> doc, int jpeg_quality)
    : doc_(std::move(doc)), encoder_(jpeg_quality) {}

PopplerRenderer::~PopplerRenderer() = default;

PopplerInfo PopplerRenderer::info() const {
  PopplerInfo info;
  info.locked = doc_->is_locked();
  // On a locked document Poppler 22.12 segfaults in get_pdf_version() as well as pages().
  if (info.locked) return info;
  int major = 0, minor = 0;
  doc_->get_pdf_version(&major, &minor);
  info.pdf_version = std::to_string(major) + "." + std::to_string(minor);
  info.page_count = doc_->pages();
  info.title = utf8(doc_->get_title());
  info.producer = utf8(doc_->get_producer());
  return info;
}

wire::PageReply PopplerRenderer::render(int page_number, const PageRenderSettings& settings) {
  const std::unique_ptr<poppler::page> page(doc_->create_page(page_number - 1));
  if (!page) throw std::runtime_error("page " + std::to_string(page_number) + " cannot be read");

  wire::PageReply reply;
  reply.page_number = page_number;
  reply.text.page_number = page_number;

  // The page as displayed: crop box, turned by /Rotate, which is also how text_list() reports
  // word boxes and how the bitmap comes out.
  const poppler::rectf box = page->page_rect(poppler::crop_box);
  const poppler::page::orientation_enum turn = page->orientation();
  const bool sideways = turn == poppler::page::landscape || turn == poppler::page::seascape;
  reply.text.width = sideways ? box.height() : box.width();
  reply.text.height = sideways ? box.width() : box.height();

  if (settings.extract_words) {
    for (const poppler::text_box& word : page->text_list()) {
      const poppler::rectf r = word.bbox();
      reply.text.words.push_back(
          Word{utf8(word.text()), r.left(), r.top(), r.right(), r.bottom()});
    }
  }

  reply.dpi = settings.dpi;
  const double pixels = (reply.text.width * settings.dpi / 72.0) *
                        (reply.text.height * settings.dpi / 72.0);
  if (pixels > static_cast<double>(settings.max_pixels) && pixels > 0) {
    reply.dpi = settings.dpi * std::sqrt(static_cast<double>(settings.max_pixels) / pixels);
  }
  if (!settings.render_image) return reply;

  poppler::page_renderer renderer;
  // The same anti-aliasing pdftoppm uses by default: text must stay legible to OCR and people.
  renderer.set_render_hints(poppler::page_renderer::antialiasing |
                            poppler::page_renderer::text_antialiasing);
  renderer.set_image_format(poppler::image::format_rgb24);
  const poppler::image image = renderer.render_page(page.get(), reply.dpi, reply.dpi);
  // When Splash cannot allocate its bitmap it may hand back a 1x1 image instead of failing.
  const double expected_width = reply.text.width * reply.dpi / 72.0;
  const double expected_height = reply.text.height * reply.dpi / 72.0;
  if (!image.is_valid() || image.width() <= 0 || image.height() <= 0 ||
      std::abs(image.width() - expected_width) > 2 || std::abs(image.height() - expected_height) > 2) {
    throw std::runtime_error("page " + std::to_string(page_number) + " cannot be rendered");
  }
  JpegEncoder::PixelLayout layout;
  switch (image.format()) {
    case poppler::image::format_rgb24: layout = JpegEncoder::PixelLayout::rgb24; break;
    case poppler::image::format_argb32: layout = JpegEncoder::PixelLayout::bgrx32; break;
    case poppler::image::format_gray8: layout = JpegEncoder::PixelLayout::gray8; break;
    default:
      throw std::runtime_error("page " + std::to_string(page_number) +
                               " rendered in an unexpected pixel format");
  }
  reply.width = image.width();
  reply.height = image.height();
  reply.jpeg = encoder_.encode(reinterpret_cast<const unsigned char*>(image.const_data()),
                               image.width(), image.height(), image.bytes_per_row(), layout);
  return reply;
}

}  // namespace examq::pdf
