#include "pdf/info_text.h"

#include "util/utf8.h"

namespace examq::pdf {

namespace {

// PDF 32000-1:2008 Annex D.2: PDFDocEncoding where it differs from Latin-1. 0x9F is undefined.
constexpr char32_t kAccents[8] = {0x02d8, 0x02c7, 0x02c6, 0x02d9, 0x02dd, 0x02db, 0x02da, 0x02dc};  // 0x18..0x1F
constexpr char32_t kPunctuation[31] = {
    0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203a, 0x2212,  // 0x80..0x8A
    0x2030, 0x201e, 0x201c, 0x201d, 0x2018, 0x2019, 0x201a, 0x2122, 0xfb01, 0xfb02, 0x0141,  // 0x8B..0x95
    0x0152, 0x0160, 0x0178, 0x017d, 0x0131, 0x0142, 0x0153, 0x0161, 0x017e};                 // 0x96..0x9E

}  // namespace

std::string from_pdf_doc_encoding(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = util::utf8_sequence(text, i, cp);
    if (n == 0) {  // not UTF-8: left for is_clean_text to refuse
      out += text[i++];
      continue;
    }
    if (cp >= 0x18 && cp <= 0x1f) {
      util::append_utf8(out, kAccents[cp - 0x18]);
    } else if (cp >= 0x80 && cp <= 0x9e) {
      util::append_utf8(out, kPunctuation[cp - 0x80]);
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

bool is_clean_text(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = util::utf8_sequence(text, i, cp);
    if (n == 0) return false;
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7f && cp <= 0x9f)) return false;
    i += n;
  }
  return true;
}

}  // namespace examq::pdf
