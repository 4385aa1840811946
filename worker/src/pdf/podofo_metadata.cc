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
    if (const PoDoFo::PdfInfo* meta = doc.GetInfo()) {
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
