#include "pdf_fixtures.h"

#include <podofo/podofo.h>

#include <stdexcept>

#include "fixture_fonts.h"

namespace examq::pdf::testing {

double fixture_baseline(int index) { return 72.0 + 18.0 * index; }

std::string make_pdf(const FixtureDocument& document) {
  using namespace PoDoFo;
  try {
    PdfMemDocument doc;
    // An embedded file, not "Helvetica": what fontconfig finds for a name differs per machine.
    PdfFont* font = fixtures::embed_font(doc, fixtures::FontFamily::liberation_sans, false);
    font->SetFontSize(12.0f);
    for (const FixturePage& spec : document.pages) {
      PdfPage* page = doc.CreatePage(PdfRect(0, 0, spec.width, spec.height));
      if (spec.rotation != 0) page->SetRotation(spec.rotation);
      PdfPainter painter;
      painter.SetPage(page);
      if (spec.red_block) {
        painter.SetColor(1.0, 0.0, 0.0);
        painter.Rectangle(0, spec.height - 72, 72, 72);
        painter.Fill();
        painter.SetColor(0.0, 0.0, 0.0);
      }
      painter.SetFont(font);
      for (std::size_t i = 0; i < spec.lines.size(); ++i) {
        painter.DrawText(72, spec.height - fixture_baseline(static_cast<int>(i)),
                         PdfString(spec.lines[i].c_str()));
      }
      painter.FinishPage();
    }
    if (!document.title.empty()) doc.GetInfo()->SetTitle(PdfString(document.title.c_str()));
    if (!document.producer.empty()) {
      doc.GetInfo()->SetProducer(PdfString(document.producer.c_str()));
    }
    // AES-256 (R5): the RC4 that AES-128 (R4) still uses for its owner key is disabled in
    // OpenSSL 3, where PoDoFo 0.9.8 throws InternalLogic.
    if (!document.user_password.empty()) {
      doc.SetEncrypted(document.user_password, "owner-" + document.user_password,
                       PdfEncrypt::ePdfPermissions_Print, PdfEncrypt::ePdfEncryptAlgorithm_AESV3,
                       PdfEncrypt::ePdfKeyLength_256);
    } else if (!document.owner_password.empty()) {
      doc.SetEncrypted("", document.owner_password, PdfEncrypt::ePdfPermissions_Print,
                       PdfEncrypt::ePdfEncryptAlgorithm_AESV3, PdfEncrypt::ePdfKeyLength_256);
    }
    PdfRefCountedBuffer buffer;
    PdfOutputDevice device(&buffer);
    doc.Write(&device);
    return std::string(buffer.GetBuffer(), device.GetLength());
  } catch (const PdfError& e) {  // PoDoFo's, not a std::exception
    throw std::runtime_error(std::string("PoDoFo failed to build a fixture: ") +
                             PdfError::ErrorName(e.GetError()));
  }
}

FixtureDocument exam_like_document(int pages) {
  FixtureDocument doc;
  doc.title = "Generated exam paper";
  int question = 1;
  for (int p = 1; p <= pages; ++p) {
    FixturePage page;
    page.lines.push_back("Examq Board - Mathematics Paper 1 - Page " + std::to_string(p));
    for (int q = 0; q < 4; ++q, ++question) {
      page.lines.push_back(std::to_string(question) + ". Solve the equation x^2 - " +
                           std::to_string(question) + "x + 6 = 0 for real x. [" +
                           std::to_string(1 + question % 5) + " marks]");
      page.lines.push_back("   (a) Show your working clearly and state the method used.");
      page.lines.push_back("   (b) Hence find the sum of the roots.");
      for (int dots = 0; dots < 6; ++dots) {
        page.lines.push_back("   ............................................................");
      }
    }
    page.lines.push_back("Turn over");
    doc.pages.push_back(std::move(page));
  }
  return doc;
}

}  // namespace examq::pdf::testing
