#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace examq::pdf {

// What the exam paper row records about its PDF.
struct DocumentInfo {
  std::string title;        // "" when the document has none
  std::string producer;     // "" when the document has none
  int page_count = 0;       // as Poppler counts them: the pages that get rendered
  std::string pdf_version;  // "1.7"

  // Where title/producer/version came from. PoDoFo is preferred; it is stricter than Poppler,
  // so when it rejects (or crashes on) a file that Poppler reads, the fields come from Poppler
  // and `podofo_error` says why.
  enum class Source { podofo, poppler };
  Source source = Source::poppler;
  std::string podofo_error;  // why PoDoFo did not; "" when it did or was not asked
};

inline std::ostream& operator<<(std::ostream& out, DocumentInfo::Source source) {
  return out << (source == DocumentInfo::Source::podofo ? "podofo" : "poppler");
}

// The document as the Poppler renderer saw it.
struct PopplerInfo {
  bool locked = false;
  int page_count = 0;
  std::string pdf_version, title, producer;
  // Per page (index 0 = page 1), a guess at its rendering cost (SplashPageRenderer::
  // estimated_cost), for scheduling only; empty when the child was not asked for it. From a
  // child, so a hint: any value may be a lie, and it can only make that document's own pages
  // come back later.
  std::vector<std::uint32_t> page_costs;
};

// The document as PoDoFo saw it.
struct PodofoInfo {
  int page_count = 0;
  std::string pdf_version, title, producer;
};

// PoDoFo's metadata where it has it, Poppler's page count always (it decides what is rendered).
// Title and producer are text fit to show or none (info_text.h): from an encrypted file and where
// PoDoFo has none, Poppler's, read as PDFDocEncoding.
DocumentInfo merge_document_info(const PopplerInfo& poppler, const PodofoInfo* podofo,
                                 const std::string& podofo_error);

}  // namespace examq::pdf
