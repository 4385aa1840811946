// Scanned papers through the real path: the fixture papers (in the default typeface, Liberation
// Sans) rasterised into image-only PDFs (one turned upside down and sideways, one skewed and
// speckled, one mixed with born-digital pages), then the sandboxed render pool (which OCRs pages
// without a text layer) and the text extractor, scored by ocr_scoring.h. Other typefaces and
// resolutions: ocr_typefaces_test.cc.

#define BOOST_TEST_MODULE ocr_paper
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "exam_paper.h"
#include "ocr_scoring.h"
#include "pdf/render_pool.h"
#include "scanned_paper.h"
#include "test_support.h"

namespace fx = examq::fixtures;
namespace ex = examq::extract;
namespace pdf = examq::pdf;
namespace bdata = boost::unit_test::data;
using examq::pdf::testing::live_children;
using namespace examq::ocr_testing;

namespace {

const std::vector<std::string> kLayouts = {"aqa", "cambridge", "simple-q", "simple-question", "multiple-choice",
                                           "sample"};

}  // namespace

BOOST_DATA_TEST_CASE(scanned_layout_recovers_its_questions, bdata::make(kLayouts), name) {
  const fx::FixturePaper paper = fx::make_exam_paper(fx::layout(name));
  const Read read = read_paper(fx::scan_pdf(paper.pdf));
  BOOST_TEST(read.document.stats.ocr_pages == paper.page_count);
  for (const auto& q : read.questions) BOOST_TEST(q.source == "ocr");
  check_meets_targets(name, score(paper.expected, read.questions), read.document);
}

BOOST_AUTO_TEST_CASE(pages_scanned_upside_down_and_sideways_are_turned_upright) {
  const fx::FixturePaper paper = fx::make_exam_paper(fx::layout("cambridge"));
  fx::ScanSettings scan;
  scan.quarter_turns = {{1, 2}, {2, 1}};
  const Read read = read_paper(fx::scan_pdf(paper.pdf, scan));
  BOOST_TEST_REQUIRE(read.document.pages.size() == 2u);
  // The image was turned clockwise; OCR turns it back by the complement.
  BOOST_TEST(read.document.pages[0].text.ocr_rotated_degrees == 180);
  BOOST_TEST(read.document.pages[1].text.ocr_rotated_degrees == 270);
  // Upright again: portrait page size, whatever the scan's orientation.
  BOOST_TEST(read.document.pages[1].text.height > read.document.pages[1].text.width);
  check_meets_targets("cambridge, turned", score(paper.expected, read.questions), read.document);
}

BOOST_AUTO_TEST_CASE(skewed_and_speckled_scan_is_straightened_and_read) {
  const fx::FixturePaper paper = fx::make_exam_paper(fx::layout("simple-q"));
  fx::ScanSettings scan;
  scan.skew_degrees = 2.0;
  scan.noise = 0.004;
  const Read read = read_paper(fx::scan_pdf(paper.pdf, scan));
  for (const auto& page : read.document.pages) {
    BOOST_TEST(std::abs(std::abs(page.text.ocr_skew_degrees) - 2.0) < 0.5, "skew found " << page.text.ocr_skew_degrees);
  }
  check_meets_targets("simple-q, skewed and speckled", score(paper.expected, read.questions), read.document);
}

BOOST_AUTO_TEST_CASE(mixed_paper_reads_each_page_its_own_way) {
  const fx::FixturePaper paper = fx::make_exam_paper(fx::layout("sample"));
  fx::ScanSettings scan;
  scan.text_pages = {1, 3, 5};
  const Read read = read_paper(fx::scan_pdf(paper.pdf, scan));
  BOOST_TEST_REQUIRE(static_cast<int>(read.document.pages.size()) == paper.page_count);
  for (const auto& page : read.document.pages) {
    const bool scanned = !scan.text_pages.count(page.page_number);
    BOOST_TEST((page.text.source == pdf::TextSource::ocr) == scanned, "page " << page.page_number);
  }
  for (const auto& q : read.questions) {
    BOOST_TEST(q.source == (scan.text_pages.count(q.page_number) ? "text" : "ocr"), q.number << " p" << q.page_number);
  }
  check_meets_targets("sample, mixed", score(paper.expected, read.questions), read.document);
}

BOOST_AUTO_TEST_CASE(ocr_off_leaves_a_scan_without_words) {
  const fx::FixturePaper paper = fx::make_exam_paper(fx::layout("simple-question"));
  pdf::RenderOptions options = ocr_options();
  options.ocr.mode = pdf::OcrMode::off;
  const Read read = read_paper(fx::scan_pdf(paper.pdf), options);
  BOOST_TEST(read.document.stats.ocr_pages == 0);
  BOOST_TEST(read.questions.empty());
}

BOOST_AUTO_TEST_CASE(ocr_always_reads_born_digital_pages_from_their_image) {
  const fx::FixturePaper paper = fx::make_exam_paper(fx::layout("simple-question"));
  pdf::RenderOptions options = ocr_options();
  options.ocr.mode = pdf::OcrMode::always;
  const Read read = read_paper(paper.pdf, options);
  BOOST_TEST(read.document.stats.ocr_pages == paper.page_count);
  check_meets_targets("simple-question, OCR forced", score(paper.expected, read.questions), read.document);
}

BOOST_AUTO_TEST_CASE(born_digital_paper_is_not_ocred_by_default) {
  const fx::FixturePaper paper = fx::make_exam_paper(fx::layout("cambridge"));
  const Read read = read_paper(paper.pdf);
  BOOST_TEST(read.document.stats.ocr_pages == 0);
  for (const auto& q : read.questions) BOOST_TEST(q.source == "text");
}

BOOST_AUTO_TEST_CASE(cancelling_stops_ocr_and_leaves_no_child_behind) {
  const fx::FixturePaper paper = fx::make_exam_paper(fx::layout("sample"));
  const std::string scan = fx::scan_pdf(paper.pdf);
  int pages_read = 0;
  bool cancelled = false;
  try {
    pdf::render_pdf(scan, ocr_options(), [&](int done, int, int) { pages_read = done; },
                    [&] { return pages_read >= 1; });  // cancel once the first page is in
  } catch (const pdf::PdfError& e) {
    cancelled = e.kind() == pdf::PdfErrorKind::cancelled;
  }
  BOOST_TEST(cancelled);
  BOOST_TEST(pages_read < paper.page_count);
  BOOST_TEST(live_children() == 0);
}
