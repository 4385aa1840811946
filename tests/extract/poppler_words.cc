#include "poppler_words.h"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-page.h>

#include <memory>
#include <stdexcept>

namespace examq::test {

std::vector<pdf::PageText> poppler_words(const std::string& pdf_bytes) {
  // load_from_raw_data does not copy: pdf_bytes outlives the document (it is the caller's).
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(pdf_bytes.data(), static_cast<int>(pdf_bytes.size())));
  if (!doc) throw std::runtime_error("Poppler could not load the PDF");
  // pages() segfaults on a locked document in Poppler 22.12.
  if (doc->is_locked()) throw std::runtime_error("PDF is password-protected");
  std::vector<pdf::PageText> out;
  for (int i = 0; i < doc->pages(); ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) throw std::runtime_error("Poppler could not open page " + std::to_string(i + 1));
    pdf::PageText text;
    text.page_number = i + 1;
    const auto rect = page->page_rect();
    text.width = rect.width();
    text.height = rect.height();
    for (const auto& box : page->text_list()) {
      const auto utf8 = box.text().to_utf8();
      const auto b = box.bbox();
      text.words.push_back(pdf::Word{std::string(utf8.begin(), utf8.end()), b.x(), b.y(), b.right(), b.bottom(), box.rotation()});
    }
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace examq::test
