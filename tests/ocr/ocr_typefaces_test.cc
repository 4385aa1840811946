// OCR reads any common typeface (issue #13): the fixture papers set in an Arial/Helvetica clone
// (Liberation Sans), a Times clone (Liberation Serif) and DejaVu Sans, scanned at 150 and 300 DPI,
// clean, skewed and speckled, turned, and blurred, each through the real path and held to the
// bar of ocr_scoring.h (95% of question numbers and marks). Each condition uses one layout,
// chosen for what it stresses:
//   clean            aqa: boxed digit labels ("0 1 . 2") beside ruled boxes
//   skewed, speckled simple-q: "Q1." labels, "(2 marks)" at line ends, 2 degrees and 0.4% noise
//   turned           cambridge: page 1 upside down, page 2 sideways
//   blurred          sample: a realistic six-page paper with a cover, a two-column
//                    multiple-choice section (lone numbers in a column of their own) and
//                    structured questions, every stroke and dotted line softened

#define BOOST_TEST_MODULE ocr_typefaces
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "exam_paper.h"
#include "ocr_scoring.h"
#include "scanned_paper.h"

namespace fx = examq::fixtures;
namespace bdata = boost::unit_test::data;
using namespace examq::ocr_testing;

namespace {

enum class Condition { clean, skewed_speckled, turned, blurred };

struct TypefaceCase {
  fx::FontFamily font;
  double dpi;
  Condition condition;
};

const char* condition_name(Condition c) {
  switch (c) {
    case Condition::clean: return "clean";
    case Condition::skewed_speckled: return "skewed+speckled";
    case Condition::turned: return "turned";
    case Condition::blurred: return "blurred";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& out, const TypefaceCase& c) {
  return out << fx::font_slug(c.font) << " " << c.dpi << " dpi " << condition_name(c.condition);
}

std::vector<TypefaceCase> all_cases() {
  std::vector<TypefaceCase> out;
  for (fx::FontFamily font : fx::font_families())
    for (double dpi : {150.0, 300.0})
      for (Condition c : {Condition::clean, Condition::skewed_speckled, Condition::turned, Condition::blurred})
        out.push_back({font, dpi, c});
  return out;
}

const char* layout_for(Condition c) {
  switch (c) {
    case Condition::clean: return "aqa";
    case Condition::skewed_speckled: return "simple-q";
    case Condition::turned: return "cambridge";
    case Condition::blurred: return "sample";
  }
  return "";
}

fx::ScanSettings scan_for(const TypefaceCase& c) {
  fx::ScanSettings scan;
  scan.dpi = c.dpi;
  switch (c.condition) {
    case Condition::clean: break;
    case Condition::skewed_speckled:
      scan.skew_degrees = 2.0;
      scan.noise = 0.004;
      break;
    case Condition::turned: scan.quarter_turns = {{1, 2}, {2, 1}}; break;
    case Condition::blurred: scan.blur_points = 0.5; break;
  }
  return scan;
}

}  // namespace

BOOST_DATA_TEST_CASE(typeface_scan_meets_the_bar, bdata::make(all_cases()), c) {
  fx::PaperSpec spec = fx::layout(layout_for(c.condition));
  spec.font = c.font;
  const fx::FixturePaper paper = fx::make_exam_paper(spec);
  const Read read = read_paper(fx::scan_pdf(paper.pdf, scan_for(c)));
  BOOST_TEST(read.document.stats.ocr_pages == paper.page_count);
  if (c.condition == Condition::turned) {
    BOOST_TEST_REQUIRE(read.document.pages.size() == 2u);
    BOOST_TEST(read.document.pages[0].text.ocr_rotated_degrees == 180);
    BOOST_TEST(read.document.pages[1].text.ocr_rotated_degrees == 270);
  }
  std::ostringstream name;
  name << c << " (" << layout_for(c.condition) << ")";
  check_meets_targets(name.str(), score(paper.expected, read.questions), read.document);
}
