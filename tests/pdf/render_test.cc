#define BOOST_TEST_MODULE pdf_render
#include <boost/test/unit_test.hpp>

#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pdf/poppler_renderer.h"
#include "pdf/render_pool.h"
#include "pdf_fixtures.h"
#include "test_support.h"

using namespace examq::pdf;
using namespace examq::pdf::testing;

namespace {

struct Decoded {
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;
  const unsigned char* at(int x, int y) const { return &rgb[3 * (y * width + x)]; }
};

Decoded decode(const std::string& jpeg) {
  Decoded out;
  tjhandle handle = tjInitDecompress();
  int subsampling = 0, colourspace = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(jpeg.data());
  BOOST_REQUIRE(tjDecompressHeader3(handle, data, jpeg.size(), &out.width, &out.height,
                                    &subsampling, &colourspace) == 0);
  out.rgb.resize(static_cast<std::size_t>(out.width) * out.height * 3);
  BOOST_REQUIRE(tjDecompress2(handle, data, jpeg.size(), out.rgb.data(), out.width, 0,
                              out.height, TJPF_RGB, 0) == 0);
  tjDestroy(handle);
  return out;
}

bool is_jpeg(const std::string& bytes) {
  return bytes.size() > 4 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8 &&
         static_cast<unsigned char>(bytes[2]) == 0xFF &&
         static_cast<unsigned char>(bytes[bytes.size() - 2]) == 0xFF &&
         static_cast<unsigned char>(bytes[bytes.size() - 1]) == 0xD9;
}

const Word* find_word(const PageText& text, const std::string& wanted) {
  for (const Word& w : text.words) {
    if (w.text == wanted) return &w;
  }
  return nullptr;
}

FixtureDocument single(FixturePage page) {
  FixtureDocument doc;
  doc.pages.push_back(std::move(page));
  return doc;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_page_becomes_a_jpeg_sized_by_the_dpi) {
  const RenderedDocument result = render_pdf(make_pdf(exam_like_document(3)), test_options());
  BOOST_REQUIRE(result.pages.size() == 3u);
  for (int i = 0; i < 3; ++i) {
    const RenderedPage& page = result.pages[i];
    BOOST_TEST(page.page_number == i + 1);
    BOOST_TEST(is_jpeg(page.jpeg));
    // A4 is 595 x 842 pt: 1240 x 1754 px at 150 DPI.
    BOOST_TEST(std::abs(page.width - 1240) <= 1);
    BOOST_TEST(std::abs(page.height - 1754) <= 1);
    BOOST_TEST(page.dpi == 150.0);
    const Decoded image = decode(page.jpeg);
    BOOST_TEST(image.width == page.width);
    BOOST_TEST(image.height == page.height);
    BOOST_TEST(page.text.page_number == i + 1);
    BOOST_TEST(page.text.width == 595.0);
    BOOST_TEST(page.text.height == 842.0);
  }
  BOOST_TEST(result.info.page_count == 3);
  BOOST_TEST(result.info.title == "Generated exam paper");
}

BOOST_AUTO_TEST_CASE(dpi_option_scales_the_bitmap) {
  RenderOptions options = test_options();
  options.dpi = 72;
  const RenderedDocument result = render_pdf(make_pdf(exam_like_document(1)), options);
  BOOST_TEST(std::abs(result.pages[0].width - 595) <= 1);
  BOOST_TEST(std::abs(result.pages[0].height - 842) <= 1);
}

BOOST_AUTO_TEST_CASE(lower_quality_gives_smaller_jpegs) {
  const std::string pdf = make_pdf(exam_like_document(1));
  RenderOptions low = test_options();
  low.jpeg_quality = 30;
  RenderOptions high = test_options();
  high.jpeg_quality = 95;
  BOOST_TEST(render_pdf(pdf, low).pages[0].jpeg.size() <
             render_pdf(pdf, high).pages[0].jpeg.size());
}

BOOST_AUTO_TEST_CASE(words_carry_their_text_and_position_in_points) {
  const RenderedDocument result = render_pdf(make_pdf(exam_like_document(2)), test_options());
  const PageText& first = result.pages[0].text;
  const Word* header = find_word(first, "Examq");
  BOOST_REQUIRE(header != nullptr);
  BOOST_TEST(std::abs(header->x0 - 72.0) < 1.0);
  // Origin top-left: the word box straddles its baseline, 72 pt from the top.
  BOOST_TEST(header->y0 < fixture_baseline(0));
  BOOST_TEST(header->y1 > fixture_baseline(0) - 4);
  BOOST_TEST(header->y1 - header->y0 < 20.0);
  BOOST_TEST(find_word(first, "Solve") != nullptr);
  BOOST_TEST(find_word(first, "marks]") != nullptr);
  // Question 5 is the first one on page 2.
  BOOST_TEST(find_word(result.pages[1].text, "5.") != nullptr);
  BOOST_TEST(find_word(first, "5.") == nullptr);
}

BOOST_AUTO_TEST_CASE(colours_survive_encoding_in_the_right_channel_order) {
  FixturePage page;
  page.red_block = true;
  page.lines = {"colour check"};
  const RenderedDocument result = render_pdf(make_pdf(single(page)), test_options());
  const Decoded image = decode(result.pages[0].jpeg);
  const unsigned char* red = image.at(40, 40);       // inside the 72 pt square (150 px)
  BOOST_TEST(int(red[0]) > 200);
  BOOST_TEST(int(red[1]) < 60);
  BOOST_TEST(int(red[2]) < 60);
  const unsigned char* paper = image.at(image.width - 20, image.height - 20);
  BOOST_TEST(int(paper[0]) > 240);
  BOOST_TEST(int(paper[1]) > 240);
  BOOST_TEST(int(paper[2]) > 240);
}

BOOST_AUTO_TEST_CASE(rotated_page_is_rendered_and_measured_as_displayed) {
  FixturePage page;
  page.rotation = 90;
  page.lines = {"sideways"};
  RenderOptions options = test_options();
  options.ocr.mode = OcrMode::off;  // one word is too few for a text layer: OCR would replace it
  const RenderedDocument result = render_pdf(make_pdf(single(page)), options);
  const RenderedPage& out = result.pages[0];
  BOOST_TEST(out.width > out.height);
  BOOST_TEST(out.text.width == 842.0);
  BOOST_TEST(out.text.height == 595.0);
  const Word* word = find_word(out.text, "sideways");
  BOOST_REQUIRE(word != nullptr);
  BOOST_TEST(word->x1 <= out.text.width);
  BOOST_TEST(word->y1 <= out.text.height);
}

BOOST_AUTO_TEST_CASE(oversized_page_is_rendered_at_a_dpi_that_fits_the_pixel_cap) {
  FixturePage page;
  page.width = 5000;
  page.height = 5000;
  page.lines = {"poster"};
  RenderOptions options = test_options();
  options.max_pixels_per_page = 4'000'000;
  options.ocr.mode = OcrMode::off;  // the page image is under test, not OCR of a one-word page
  const RenderedDocument result = render_pdf(make_pdf(single(page)), options);
  const RenderedPage& out = result.pages[0];
  BOOST_TEST(out.dpi < 150.0);
  BOOST_TEST(static_cast<long>(out.width) * out.height <= 4'010'000);
  BOOST_TEST(is_jpeg(out.jpeg));
}

BOOST_AUTO_TEST_CASE(oversized_page_is_scaled_to_the_memory_limit_instead_of_crashing) {
  FixturePage page;
  page.width = 5000;
  page.height = 5000;
  page.lines = {"poster"};
  RenderOptions options = test_options();
  options.max_pixels_per_page = 1'000'000'000;  // no pixel cap: only the memory limit
  options.sandbox.memory_bytes = std::size_t{256} << 20;
  options.ocr.mode = OcrMode::off;  // the page image is under test, not OCR of a one-word page
  const RenderedDocument result = render_pdf(make_pdf(single(page)), options);
  const RenderedPage& out = result.pages[0];
  BOOST_TEST(out.dpi < 150.0);
  BOOST_TEST(static_cast<long>(out.width) * out.height <= (256l << 20) / 16 + 10'000);
  BOOST_TEST(is_jpeg(out.jpeg));
}

BOOST_AUTO_TEST_CASE(text_only_mode_skips_bitmaps_but_keeps_words) {
  RenderOptions options = test_options();
  options.render_images = false;
  const RenderedDocument result = render_pdf(make_pdf(exam_like_document(2)), options);
  BOOST_REQUIRE(result.pages.size() == 2u);
  BOOST_TEST(result.pages[0].jpeg.empty());
  BOOST_TEST(result.pages[0].width == 0);
  BOOST_TEST(find_word(result.pages[0].text, "Solve") != nullptr);
}

BOOST_AUTO_TEST_CASE(progress_is_reported_once_per_page_up_to_the_count) {
  std::vector<std::pair<int, int>> reports;
  render_pdf(make_pdf(exam_like_document(5)), test_options(),
             [&](int done, int total, int) { reports.emplace_back(done, total); });
  BOOST_REQUIRE(reports.size() == 5u);
  for (int i = 0; i < 5; ++i) {
    BOOST_TEST(reports[i].first == i + 1);
    BOOST_TEST(reports[i].second == 5);
  }
}

BOOST_AUTO_TEST_CASE(pages_are_spread_over_the_process_limit_and_come_back_in_order) {
  set_render_process_limit(8);  // not this machine's CPU count: the per-call limit is tested
  RenderOptions options = test_options();
  options.max_processes = 2;
  const RenderedDocument two = render_pdf(make_pdf(exam_like_document(6)), options);
  BOOST_TEST(two.stats.processes == 2);
  for (int i = 0; i < 6; ++i) {
    BOOST_TEST(two.pages[i].page_number == i + 1);
    BOOST_TEST(find_word(two.pages[i].text, std::to_string(4 * i + 1) + ".") != nullptr);
  }
  options.max_processes = 3;
  const RenderedDocument capped = render_pdf(make_pdf(exam_like_document(2)), options);
  BOOST_TEST(capped.stats.processes == 2);  // never more children than pages
  options.max_processes = 1;
  BOOST_TEST(render_pdf(make_pdf(exam_like_document(3)), options).stats.processes == 1);
  set_render_process_limit(0);
}

BOOST_AUTO_TEST_CASE(process_wide_limit_caps_extra_children_but_never_the_first) {
  set_render_process_limit(1);
  RenderOptions options = test_options();
  options.max_processes = 4;
  const RenderedDocument result = render_pdf(make_pdf(exam_like_document(6)), options);
  BOOST_TEST(result.stats.processes == 1);
  BOOST_TEST(result.pages.size() == 6u);
  set_render_process_limit(3);
  BOOST_TEST(render_pdf(make_pdf(exam_like_document(6)), options).stats.processes == 3);
  set_render_process_limit(0);
}

BOOST_AUTO_TEST_CASE(cancellation_kills_the_children_and_is_not_critical) {
  RenderOptions options = test_options();
  options.max_processes = 1;
  int pages_seen = 0;
  try {
    render_pdf(make_pdf(exam_like_document(8)), options, [&](int done, int, int) { pages_seen = done; },
               [&] { return pages_seen >= 1; });
    BOOST_FAIL("cancelled render returned");
  } catch (const PdfError& e) {
    BOOST_TEST(e.kind() == PdfErrorKind::cancelled);
    BOOST_TEST(!e.critical());
  }
  BOOST_TEST(pages_seen < 8);
  BOOST_TEST(live_children() == 0);
}

BOOST_AUTO_TEST_CASE(concurrent_calls_from_several_threads_do_not_interfere) {
  const std::string a = make_pdf(exam_like_document(3));
  const std::string b = make_pdf(exam_like_document(4));
  RenderedDocument ra, rb;
  std::thread other([&] { ra = render_pdf(a, test_options()); });
  rb = render_pdf(b, test_options());
  other.join();
  BOOST_TEST(ra.pages.size() == 3u);
  BOOST_TEST(rb.pages.size() == 4u);
  BOOST_TEST(find_word(rb.pages[3].text, "13.") != nullptr);
  BOOST_TEST(live_children() == 0);
}

BOOST_AUTO_TEST_CASE(real_paper_from_the_corpus_renders_every_page,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return std::getenv("EXAMQ_CORPUS") != nullptr;
                     })) {
  const std::string pdf =
      read_file(std::string(std::getenv("EXAMQ_CORPUS")) + "/valid/tracemonkey.pdf");
  const RenderedDocument result = render_pdf(pdf, test_options());
  BOOST_TEST(result.info.page_count == 14);
  BOOST_REQUIRE(result.pages.size() == 14u);
  BOOST_TEST(std::all_of(result.pages.begin(), result.pages.end(),
                         [](const RenderedPage& p) { return is_jpeg(p.jpeg); }));
  BOOST_TEST(find_word(result.pages[0].text, "Trace-based") != nullptr);
  // US Letter: 612 x 792 pt.
  BOOST_TEST(std::abs(result.pages[0].width - 1275) <= 1);
  BOOST_TEST(std::abs(result.pages[0].height - 1650) <= 1);
  // Handed out heaviest first (pages 13 and 11), returned in page order.
  for (std::size_t i = 0; i < result.pages.size(); ++i) {
    BOOST_TEST(result.pages[i].page_number == int(i) + 1);
  }
}

// The scheduling estimate runs in the first child; tested here in-process on the engine.
BOOST_AUTO_TEST_CASE(page_cost_estimates_rank_the_figure_pages_of_a_real_paper_heaviest,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return std::getenv("EXAMQ_CORPUS") != nullptr;
                     })) {
  const std::string pdf =
      read_file(std::string(std::getenv("EXAMQ_CORPUS")) + "/valid/tracemonkey.pdf");
  const std::unique_ptr<PopplerRenderer> renderer = PopplerRenderer::open(pdf, 85);
  BOOST_REQUIRE(renderer != nullptr);
  const std::vector<std::uint32_t> costs = renderer->estimated_costs();
  BOOST_REQUIRE(costs.size() == 14u);
  // Page 13 (50 tiling patterns) renders slowest, then page 11 (81 shadings, 390 KB of forms);
  // every other page is text and small figures.
  for (std::size_t i = 0; i < costs.size(); ++i) {
    if (i != 12) BOOST_TEST(costs[12] > costs[i]);
    if (i != 12 && i != 10) BOOST_TEST(costs[10] > costs[i]);
  }
}

BOOST_AUTO_TEST_CASE(page_cost_estimates_cover_every_page_of_a_text_paper) {
  const std::string pdf = make_pdf(exam_like_document(3));
  const std::unique_ptr<PopplerRenderer> renderer = PopplerRenderer::open(pdf, 85);
  BOOST_REQUIRE(renderer != nullptr);
  const std::vector<std::uint32_t> costs = renderer->estimated_costs();
  BOOST_REQUIRE(costs.size() == 3u);
  for (const std::uint32_t cost : costs) BOOST_TEST(cost > 0u);
}

// render_gray() runs in the child next to the OCR engine; tested here in-process on the engine.
namespace {

// Darkest pixel of the bitmap inside a box given in points.
int darkest_in(const GrayBitmap& bitmap, double x0, double y0, double x1, double y1) {
  const double scale = bitmap.dpi / 72.0;
  int darkest = 255;
  for (int y = std::max(0, int(y0 * scale)); y < std::min(bitmap.height, int(y1 * scale) + 1); ++y) {
    for (int x = std::max(0, int(x0 * scale)); x < std::min(bitmap.width, int(x1 * scale) + 1); ++x) {
      darkest = std::min<int>(darkest, bitmap.pixels[std::size_t(y) * bitmap.width + x]);
    }
  }
  return darkest;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gray_bitmap_has_the_page_size_dark_words_and_white_margins) {
  const std::string pdf = make_pdf(exam_like_document(1));
  const std::unique_ptr<PopplerRenderer> renderer = PopplerRenderer::open(pdf, 85);
  BOOST_REQUIRE(renderer != nullptr);
  PageRenderSettings words_only;
  words_only.render_image = false;
  const wire::PageReply reply = renderer->render(1, words_only);
  const Word* header = find_word(reply.text, "Examq");
  BOOST_REQUIRE(header != nullptr);

  const GrayBitmap bitmap = renderer->render_gray(1, 100, 25'000'000);
  BOOST_TEST(bitmap.dpi == 100.0);
  // A4, 595 x 842 pt, at 100 DPI; one byte a pixel, no row padding (826 is not a multiple of 4).
  BOOST_TEST(std::abs(bitmap.width - 826) <= 1);
  BOOST_TEST(std::abs(bitmap.height - 1169) <= 1);
  BOOST_TEST(bitmap.pixels.size() == std::size_t(bitmap.width) * bitmap.height);
  BOOST_TEST(darkest_in(bitmap, header->x0, header->y0, header->x1, header->y1) < 80);
  // The left margin (text starts at 72 pt) and the page's last inch are blank paper.
  BOOST_TEST(darkest_in(bitmap, 0, 0, 60, 842) > 245);
  BOOST_TEST(darkest_in(bitmap, 0, 780, 595, 842) > 245);
}

BOOST_AUTO_TEST_CASE(gray_bitmap_of_a_rotated_page_is_as_displayed) {
  FixturePage page;
  page.rotation = 90;
  page.lines = {"sideways"};
  const std::string pdf = make_pdf(single(page));
  const std::unique_ptr<PopplerRenderer> renderer = PopplerRenderer::open(pdf, 85);
  BOOST_REQUIRE(renderer != nullptr);
  const GrayBitmap bitmap = renderer->render_gray(1, 72, 25'000'000);
  BOOST_TEST(std::abs(bitmap.width - 842) <= 1);
  BOOST_TEST(std::abs(bitmap.height - 595) <= 1);
}

BOOST_AUTO_TEST_CASE(gray_bitmap_over_the_pixel_cap_is_rendered_at_a_lower_dpi) {
  const std::string pdf = make_pdf(exam_like_document(1));
  const std::unique_ptr<PopplerRenderer> renderer = PopplerRenderer::open(pdf, 85);
  BOOST_REQUIRE(renderer != nullptr);
  const GrayBitmap bitmap = renderer->render_gray(1, 300, 1'000'000);
  BOOST_TEST(bitmap.dpi < 300.0);
  BOOST_TEST(long(bitmap.width) * bitmap.height <= 1'000'000 + 2 * (bitmap.width + bitmap.height));
  BOOST_TEST(std::abs(bitmap.width - 595 * bitmap.dpi / 72) <= 2);
  BOOST_TEST_REQUIRE(bitmap.pixels.size() == std::size_t(bitmap.width) * bitmap.height);
}

BOOST_AUTO_TEST_CASE(gray_bitmap_of_a_missing_page_is_an_error) {
  const std::string pdf = make_pdf(exam_like_document(1));
  const std::unique_ptr<PopplerRenderer> renderer = PopplerRenderer::open(pdf, 85);
  BOOST_REQUIRE(renderer != nullptr);
  BOOST_CHECK_THROW(renderer->render_gray(2, 100, 25'000'000), std::runtime_error);
}
