// The start-up check: a missing language pack is named before any job runs, never a crash.

#define BOOST_TEST_MODULE ocr_check
#include <boost/test/unit_test.hpp>

#include <string>

#include "pdf/ocr_check.h"
#include "pdf/pdf_error.h"
#include "pdf/render_options.h"

using namespace examq::pdf;

namespace {

RenderOptions options_with(const std::string& languages) {
  RenderOptions options;
  options.sandbox.helper_path = EXAMQ_RENDER_HELPER_PATH;
  options.ocr.languages = languages;
  return options;
}

PdfError error_of(const RenderOptions& options) {
  try {
    check_ocr_available(options);
  } catch (const PdfError& e) {
    return e;
  }
  BOOST_FAIL("check_ocr_available did not throw");
  throw;  // unreachable
}

}  // namespace

BOOST_AUTO_TEST_CASE(installed_english_passes) {
  BOOST_CHECK_NO_THROW(check_ocr_available(options_with("eng")));
}

BOOST_AUTO_TEST_CASE(missing_language_pack_is_named_with_its_package) {
  const PdfError e = error_of(options_with("eng+xyz"));
  BOOST_TEST(e.kind() == PdfErrorKind::ocr_unavailable);
  BOOST_TEST(!e.critical());  // fixing the installation fixes the job
  const std::string message = e.what();
  BOOST_TEST(message.find("OCR language 'xyz' is not installed") != std::string::npos, message);
  BOOST_TEST(message.find("tesseract-ocr-xyz") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(malformed_language_list_is_refused) {
  const PdfError e = error_of(options_with("eng;rm -rf"));
  BOOST_TEST(e.kind() == PdfErrorKind::ocr_unavailable);
  BOOST_TEST(std::string(e.what()).find("not a list") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_CASE(empty_tessdata_directory_is_reported) {
  RenderOptions options = options_with("eng");
  options.ocr.tessdata_dir = "/nonexistent/tessdata";
  const PdfError e = error_of(options);
  BOOST_TEST(std::string(e.what()).find("/nonexistent/tessdata") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_CASE(ocr_off_checks_nothing) {
  RenderOptions options = options_with("xyz");
  options.ocr.mode = OcrMode::off;
  BOOST_CHECK_NO_THROW(check_ocr_available(options));
}
