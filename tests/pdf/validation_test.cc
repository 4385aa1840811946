#define BOOST_TEST_MODULE pdf_validation
#include <boost/test/unit_test.hpp>

#include <string>

#include "pdf/info_text.h"
#include "pdf/pdf_error.h"
#include "pdf/render_pool.h"
#include "pdf/validator.h"
#include "pdf_fixtures.h"
#include "test_support.h"

using namespace examq::pdf;
using namespace examq::pdf::testing;

namespace {

// Runs `call` and returns the PdfError it throws; fails the test if it throws nothing.
template <typename Call>
PdfError error_of(Call call) {
  try {
    call();
  } catch (const PdfError& e) {
    return e;
  }
  BOOST_FAIL("expected a PdfError");
  throw;  // unreachable
}

FixtureDocument one_page(const std::string& text) {
  FixtureDocument doc;
  doc.pages.push_back(FixturePage{{text}});
  return doc;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bytes_checked_before_any_child)

BOOST_AUTO_TEST_CASE(empty_file_is_rejected_as_critical) {
  const PdfError e = error_of([] { render_pdf("", test_options()); });
  BOOST_TEST(e.kind() == PdfErrorKind::empty_file);
  BOOST_TEST(std::string(e.what()) == "file is empty");
  BOOST_TEST(e.critical());
}

BOOST_AUTO_TEST_CASE(non_pdf_is_rejected_as_critical) {
  const PdfError e = error_of([] { render_pdf("<html><body>exam</body></html>", test_options()); });
  BOOST_TEST(e.kind() == PdfErrorKind::not_a_pdf);
  BOOST_TEST(std::string(e.what()) == "file is not a PDF");
  BOOST_TEST(e.critical());
}

BOOST_AUTO_TEST_CASE(header_after_leading_junk_is_accepted) {
  const std::string pdf = std::string(200, ' ') + make_pdf(one_page("junk first"));
  BOOST_CHECK_NO_THROW(check_pdf_bytes(pdf, PdfLimits{}));
}

BOOST_AUTO_TEST_CASE(file_over_the_size_limit_is_rejected_with_both_sizes) {
  RenderOptions options = test_options();
  options.limits.max_bytes = 1u << 20;
  const std::string pdf = "%PDF-1.4\n" + std::string((3u << 20) / 2, 'x');
  const PdfError e = error_of([&] { render_pdf(pdf, options); });
  BOOST_TEST(e.kind() == PdfErrorKind::too_large);
  BOOST_TEST(std::string(e.what()) == "file is 1.5 MB; the limit is 1 MB");
  BOOST_TEST(e.critical());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(document_checked_in_the_sandbox)

BOOST_AUTO_TEST_CASE(password_protected_pdf_is_rejected_without_touching_pages) {
  FixtureDocument doc = one_page("secret question");
  doc.user_password = "s3cret";
  const std::string pdf = make_pdf(doc);
  BOOST_REQUIRE(pdf.find("/Encrypt") != std::string::npos);
  const PdfError e = error_of([&] { render_pdf(pdf, test_options()); });
  BOOST_TEST(e.kind() == PdfErrorKind::password_protected);
  BOOST_TEST(std::string(e.what()) == "PDF is password-protected");
  BOOST_TEST(e.critical());
  BOOST_TEST(live_children() == 0);
}

BOOST_AUTO_TEST_CASE(pdf_over_the_page_limit_is_rejected_with_both_counts) {
  FixtureDocument doc;
  for (int i = 0; i < 5; ++i) doc.pages.push_back(FixturePage{{"page " + std::to_string(i + 1)}});
  RenderOptions options = test_options();
  options.limits.max_pages = 4;
  const PdfError e = error_of([&] { render_pdf(make_pdf(doc), options); });
  BOOST_TEST(e.kind() == PdfErrorKind::too_many_pages);
  BOOST_TEST(std::string(e.what()) == "PDF has 5 pages; the limit is 4");
  BOOST_TEST(e.critical());
}

BOOST_AUTO_TEST_CASE(default_page_limit_is_200) {
  FixtureDocument doc;
  for (int i = 0; i < 201; ++i) doc.pages.push_back(FixturePage{{"p"}});
  const PdfError e = error_of([&] { inspect_pdf(make_pdf(doc), test_options()); });
  BOOST_TEST(std::string(e.what()) == "PDF has 201 pages; the limit is 200");
}

BOOST_AUTO_TEST_CASE(pdf_header_with_garbage_is_unreadable) {
  const std::string pdf = "%PDF-1.7\n" + std::string(4096, '\x01') + "\n%%EOF\n";
  const PdfError e = error_of([&] { render_pdf(pdf, test_options()); });
  BOOST_TEST(e.kind() == PdfErrorKind::unreadable);
  BOOST_TEST(std::string(e.what()) == "PDF is damaged and cannot be read");
  BOOST_TEST(e.critical());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(metadata)

BOOST_AUTO_TEST_CASE(podofo_reads_title_producer_pages_and_version) {
  FixtureDocument doc = one_page("metadata");
  doc.pages.push_back(FixturePage{{"second"}});
  doc.title = "Physics Paper 2";
  doc.producer = "examq fixture";
  const DocumentInfo info = inspect_pdf(make_pdf(doc), test_options());
  BOOST_TEST(info.source == DocumentInfo::Source::podofo);
  BOOST_TEST(info.title == "Physics Paper 2");
  BOOST_TEST(info.producer == "examq fixture");
  BOOST_TEST(info.page_count == 2);
  BOOST_TEST(info.pdf_version == "1.3");  // PoDoFo 0.9.8 writes 1.3 by default
  BOOST_TEST(info.podofo_error.empty());
}

// PoDoFo 0.9.8 trusts the cross-reference table; Poppler reconstructs it. A file whose
// startxref points nowhere is such a case: it must still be processed, with Poppler's metadata.
BOOST_AUTO_TEST_CASE(pdf_podofo_rejects_but_poppler_reads_falls_back_to_poppler_metadata) {
  FixtureDocument doc = one_page("broken xref");
  doc.title = "Fallback Title";
  std::string pdf = make_pdf(doc);
  const auto at = pdf.rfind("startxref");
  BOOST_REQUIRE(at != std::string::npos);
  pdf = pdf.substr(0, at) + "startxref\n999999\n%%EOF\n";

  const RenderedDocument result = render_pdf(pdf, test_options());
  BOOST_TEST(result.info.source == DocumentInfo::Source::poppler);
  BOOST_TEST(!result.info.podofo_error.empty());
  BOOST_TEST(result.info.title == "Fallback Title");
  BOOST_TEST(result.info.page_count == 1);
  BOOST_TEST(result.pages.size() == 1u);
}

// Issue 20: an owner-password PDF's title came out as control characters.
BOOST_AUTO_TEST_CASE(an_owner_password_pdfs_title_is_decrypted_text) {
  FixtureDocument doc = one_page("protected");
  doc.title = "Physics Paper 2";
  doc.producer = "examq fixture";
  doc.owner_password = "owner-only";
  const std::string pdf = make_pdf(doc);
  BOOST_REQUIRE(pdf.find("/Encrypt") != std::string::npos);
  const DocumentInfo info = inspect_pdf(pdf, test_options());
  BOOST_TEST(info.title == "Physics Paper 2");
  BOOST_TEST(info.producer == "examq fixture");
  BOOST_TEST(info.page_count == 1);
}

BOOST_AUTO_TEST_CASE(info_strings_are_read_as_pdf_doc_encoding_and_undecodable_ones_dropped) {
  // Poppler reads a string without a byte-order mark one byte per code point: PDFDocEncoding's
  // 0x8D and 0x8E (curly double quotes) and 0x84 (em dash) became C1 controls, 0x19 a C0 one.
  BOOST_TEST(from_pdf_doc_encoding("\xc2\x8dPaper\xc2\x8e \xc2\x84 Ha\x19" "cek") == "\u201cPaper\u201d \u2014 Ha\u02c7cek");
  BOOST_TEST(from_pdf_doc_encoding("Caf\xc3\xa9 \xe2\x80\x94 plain") == "Caf\xc3\xa9 \xe2\x80\x94 plain");  // untouched
  BOOST_TEST(is_clean_text("Physics: Paper 2\t(June)"));
  BOOST_TEST(!is_clean_text("\x01\x02garbage"));
  BOOST_TEST(!is_clean_text("bad \xff byte"));
  BOOST_TEST(!is_clean_text("C1 \xc2\x9b control"));
  BOOST_TEST(!is_clean_text("DEL \x7f"));
}

BOOST_AUTO_TEST_CASE(metadata_can_be_skipped) {
  RenderOptions options = test_options();
  options.read_metadata = false;
  FixtureDocument doc = one_page("no podofo");
  doc.title = "Poppler Only";
  const DocumentInfo info = inspect_pdf(make_pdf(doc), options);
  BOOST_TEST(info.source == DocumentInfo::Source::poppler);
  BOOST_TEST(info.title == "Poppler Only");
}

BOOST_AUTO_TEST_SUITE_END()

// A hung renderer (the wall-clock backstop) is the machine's state and is retried; one that used
// up its CPU time on a page is the PDF's doing and is not (pdf_error.cc).
BOOST_AUTO_TEST_CASE(only_cancellation_a_hung_renderer_and_a_missing_helper_are_not_critical) {
  BOOST_TEST(!PdfError(PdfErrorKind::cancelled, "x").critical());
  BOOST_TEST(!PdfError(PdfErrorKind::sandbox_unavailable, "x").critical());
  BOOST_TEST(!PdfError(PdfErrorKind::renderer_hung, "x").critical());
  BOOST_TEST(PdfError(PdfErrorKind::renderer_timed_out, "x").critical());
  BOOST_TEST(PdfError(PdfErrorKind::renderer_crashed, "x").critical());
  BOOST_TEST(PdfError(PdfErrorKind::password_protected, "x").critical());
}
