#include "pdf/podofo_metadata.h"

#include <podofo/podofo.h>

namespace examq::pdf {
namespace {

std::string utf8(const PoDoFo::PdfString& s) { return s.IsValid() ? s.GetStringUtf8() : ""; }

}  // namespace

std::variant<PodofoInfo, std::string> read_podofo_info(std::string_view pdf) {
  // PoDoFo logs parse warnings to stdout by default; a fuzzed file prints pages of them.
  PoDoFo::PdfError::EnableLogging(false);
  PoDoFo::PdfError::EnableDebug(false);
  try {
    PoDoFo::PdfMemDocument doc;
    doc.LoadFromBuffer(pdf.data(), static_cast<long>(pdf.size()));
    PodofoInfo info;
    info.page_count = doc.GetPageCount();
    const int version = static_cast<int>(doc.GetPdfVersion());
    if (version >= 0 && version <= MAX_PDF_VERSION_STRING_INDEX) {
      info.pdf_version = PoDoFo::s_szPdfVersionNums[version];
    }
    // PoDoFo 0.9.8 does not reliably decrypt an encrypted file's Info strings (an owner-password
    // PDF's title came out as control characters): merge_document_info takes Poppler's.
    const PoDoFo::PdfInfo* meta = doc.GetEncrypted() ? nullptr : doc.GetInfo();
    if (meta != nullptr) {
      info.title = utf8(meta->GetTitle());
      info.producer = utf8(meta->GetProducer());
    }
    return info;
  } catch (const PoDoFo::PdfError& e) {  // not a std::exception
    const char* name = PoDoFo::PdfError::ErrorName(e.GetError());
    return std::string("PoDoFo rejected the file: ") + (name ? name : "unknown error");
  }
}

}  // namespace examq::pdf
