#include "pdf/document_info.h"

#include "pdf/info_text.h"

namespace examq::pdf {

namespace {

// A text field: PoDoFo's when it has a clean one, else Poppler's read as PDFDocEncoding when
// that is clean, else none. PoDoFo reads no Info strings from an encrypted file
// (read_podofo_info), so there Poppler's, which it decrypts, are the ones.
std::string text_field(const std::string& podofo, const std::string& poppler) {
  if (!podofo.empty() && is_clean_text(podofo)) return podofo;
  std::string decoded = from_pdf_doc_encoding(poppler);
  return is_clean_text(decoded) ? decoded : std::string();
}

}  // namespace

DocumentInfo merge_document_info(const PopplerInfo& poppler, const PodofoInfo* podofo,
                                 const std::string& podofo_error) {
  DocumentInfo info;
  info.page_count = poppler.page_count;
  if (podofo != nullptr) {
    info.source = DocumentInfo::Source::podofo;
    info.title = text_field(podofo->title, poppler.title);
    info.producer = text_field(podofo->producer, poppler.producer);
    info.pdf_version = podofo->pdf_version.empty() ? poppler.pdf_version : podofo->pdf_version;
    return info;
  }
  info.source = DocumentInfo::Source::poppler;
  info.title = text_field("", poppler.title);
  info.producer = text_field("", poppler.producer);
  info.pdf_version = poppler.pdf_version;
  info.podofo_error = podofo_error;
  return info;
}

}  // namespace examq::pdf
