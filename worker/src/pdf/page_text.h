#pragma once

#include <string>
#include <vector>

namespace examq::pdf {
// One word as Poppler's page::text_list() reports it; coordinates in PDF points, origin top-left.
// rotation is Poppler's: 0 for text that reads left to right on the displayed page, 1..3 for text
// turned by 90, 180 or 270 degrees (the "DO NOT WRITE IN THIS AREA" margins of Edexcel papers).
struct Word {
  std::string text;
  double x0, y0, x1, y1;
  int rotation = 0;
};

// Where a page's words came from: the PDF's own text layer, or Tesseract reading the page image
// (a scan; see ocr_engine.h).
enum class TextSource { text_layer, ocr };

// The text layer of one page. page_number is 1-based. For OCR pages, width/height and the words
// are those of the page turned upright, and the ocr_* fields say what was done to read it.
struct PageText {
  int page_number = 0;
  double width = 0, height = 0;
  std::vector<Word> words;
  TextSource source = TextSource::text_layer;
  int ocr_rotated_degrees = 0;   // clockwise turn that made the scan upright
  double ocr_skew_degrees = 0;   // small rotation removed
  double ocr_confidence = 0;     // Tesseract's mean word confidence, 0..100
  // Set when the page needed OCR and it failed (too little memory for the image, Tesseract
  // refusing it): the page keeps whatever text layer it had, the rest of the paper is still read.
  std::string ocr_error = {};
};
}  // namespace examq::pdf
