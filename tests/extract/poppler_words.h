#pragma once
// Test helper: the words of a PDF held in memory, read with Poppler's page::text_list() the way
// the sandboxed renderer does in production.

#include <string>
#include <vector>

#include "pdf/page_text.h"

namespace examq::test {

// Throws std::runtime_error when Poppler cannot load the document or it is locked.
std::vector<pdf::PageText> poppler_words(const std::string& pdf_bytes);

}  // namespace examq::test
