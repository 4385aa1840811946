#pragma once
// The Info dictionary's text strings (title, producer) as text fit to store and show. An
// owner-password PDF's title came out with control characters (issue 20): PoDoFo 0.9.8 does not
// reliably decrypt the Info strings of an encrypted file, and Poppler reads a string without a
// byte-order mark as Latin-1, where PDFDocEncoding puts quotes, dashes and bullets at 0x80..0x9F
// (C1 controls in Latin-1) and accents at 0x18..0x1F.

#include <string>
#include <string_view>

namespace examq::pdf {

// `text` (UTF-8 of a string decoded one byte per code point, as Poppler does) with the code
// points PDFDocEncoding defines differently from Latin-1 (U+0018..U+001F and U+0080..U+009E)
// replaced by PDFDocEncoding's characters: U+0084 becomes an em dash, U+008D a left double quote.
std::string from_pdf_doc_encoding(std::string_view text);

// Whether `text` is valid UTF-8 without control characters (C0 but tab, line feed and carriage
// return; DEL; C1). A title that is not is undecodable: better none than mojibake.
bool is_clean_text(std::string_view text);

}  // namespace examq::pdf
