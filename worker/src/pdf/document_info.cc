#include "pdf/document_info.h"

namespace examq::pdf {

DocumentInfo merge_document_info(const PopplerInfo& poppler, const PodofoInfo* podofo,
                                 const std::string& podofo_error) {
  DocumentInfo info;
  info.page_count = poppler.page_count;
  if (podofo != nullptr) {
    info.source = DocumentInfo::Source::podofo;
    info.title = podofo->title;
    info.producer = podofo->producer;
    info.pdf_version = podofo->pdf_version.empty() ? poppler.pdf_version : podofo->pdf_version;
    return info;
  }
  info.source = DocumentInfo::Source::poppler;
  info.title = poppler.title;
  info.producer = poppler.producer;
  info.pdf_version = poppler.pdf_version;
  info.podofo_error = podofo_error;
  return info;
}

}  // namespace examq::pdf
