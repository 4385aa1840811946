#pragma once

// Decisions around OCR that need no Tesseract, so they can be tested on their own: when a page
// needs OCR, and which recognised words are real.

#include <string>
#include <vector>

#include "pdf/gray_bitmap.h"
#include "pdf/page_text.h"

namespace examq::pdf {

// A word as Tesseract returns it, already in points.
struct OcrWord {
  std::string text;
  double x0, y0, x1, y1;
  float confidence;  // 0..100
  int line = -1;     // the text line Tesseract read it in; -1: none known
};

// True when the page's own text layer is worth reading: at least kMinTextLayerWords words with a
// letter or a digit, set upright (rotation 0). A scan has none (or a scanner's stamp); a
// born-digital page has dozens.
// A page below the bar that does have text loses nothing by OCR: its words come back from the
// image.
inline constexpr int kMinTextLayerWords = 8;
bool has_usable_text_layer(const PageText& page);

// True when the page image has ink the text layer does not account for: more than 1 pixel in
// 5,000 darker than mid-grey outside the boxes of `text`'s words (scaled to the image). A scan
// has it everywhere; a born-digital page with a few words ("BLANK PAGE", a page number, a
// reference) and an empty page have none, and are not worth Tesseract's time.
bool has_unread_ink(const GrayBitmap& bitmap, const PageText& text);

// The words worth keeping, in Tesseract's order. Dropped, by shape and confidence rather than
// by spelling:
//  - dotted or dashed answer lines, which Tesseract reads as long junk words ("PTOTTTITITI"):
//    much flatter than the page's text and wide;
//  - specks of scanner noise: much smaller than the page's text and not confidently read;
//  - anything read with very low confidence that has no letter or digit.
// "The page's text" is the median height of words with a letter or digit.
// A kept word much shorter than the words of its line (under 0.6 of their median height: a full
// stop, a dash, an "=") is given their median top and bottom. Tesseract's boxes hug the ink, so
// a lone "." sat below the middle of its line and the segmenter, which groups words whose
// centres lie within each other's boxes as a text layer's full-height boxes do, put it on a line
// of its own: "0 1 . 1" lost its full stop in Liberation Serif. Words of one line, not the page,
// decide: a small heading keeps its own height.
std::vector<Word> keep_readable_words(const std::vector<OcrWord>& words);

}  // namespace examq::pdf
