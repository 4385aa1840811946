#pragma once

// Child-side only (used by examq-render, like poppler_renderer.h): recognises the words of a
// page image with Tesseract, for pages without a usable text layer (scans).
//
// Per page: specks erased, deskew (Leptonica, up to ~7 degrees), rules and dotted lines erased,
// LSTM recognition with automatic page segmentation, symbols on blank paper dropped, unsure runs
// and unread ink read again on their own; only when that reading is poor (unsure, or covering
// little of the ink), Tesseract's OSD is asked whether the page is upside down or sideways, and a
// turned page is read again.
// docs/ocr.md has the why of each step. Words come back in the same form as Poppler's text layer (PDF points,
// origin top-left, of the upright page), so the layout segmenter reads them like any other page.
//
// Tesseract's OpenMP threads must be off (OMP_THREAD_LIMIT=1 in the child's environment, set by
// the parent at spawn: libgomp reads it when it is loaded): with them a page costs 5x the CPU
// time spinning (FIELD-NOTES); pages are parallel across processes instead.

#include <memory>
#include <stdexcept>
#include <string>

#include "pdf/gray_bitmap.h"
#include "pdf/page_text.h"

namespace examq::pdf {

struct OcrSettings {
  // Tesseract language codes joined by '+', e.g. "eng" or "eng+deu".
  std::string languages = "eng";
  // Directory holding <lang>.traineddata; "" means Tesseract's own default ($TESSDATA_PREFIX, or
  // the path it was built with: /usr/share/tesseract-ocr/5/tessdata on Debian).
  std::string tessdata_dir;
  // Turn pages scanned upside down or sideways upright (needs osd.traineddata).
  bool detect_orientation = true;
};

// Thrown by open_ocr_engine when the module or a language cannot be loaded.
class OcrUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OcrPage {
  PageText text;               // words and page size in points of the upright page
  int rotated_degrees = 0;     // clockwise turn applied to make the page upright (0/90/180/270)
  double skew_degrees = 0;     // small rotation removed by deskewing
  double mean_confidence = 0;  // Tesseract's mean word confidence, 0..100
};

// Reads pages with Tesseract. Tesseract and Leptonica live in a module of their own
// (examq-ocr.so, see tesseract_engine.cc) that the render child loads only when a page first
// needs OCR: linked in, they doubled the libraries every child maps at start (36 to 72), which
// cost every born-digital paper ~13 ms per child for nothing.
class OcrEngine {
 public:
  virtual ~OcrEngine() = default;
  // Recognises one page. `bitmap.dpi` gives the scale from pixels to points. Throws
  // std::runtime_error if Tesseract fails on the image, std::bad_alloc when it runs out of
  // memory.
  virtual OcrPage recognise(const GrayBitmap& bitmap) = 0;
};

// Loads the module (first call only) and the languages, after checking that every
// .traineddata file needed is there (osd too when detect_orientation is set; that model itself
// is loaded on the first page that reads poorly). Throws OcrUnavailable naming what is missing
// and where it was looked for: the module, a language pack.
std::unique_ptr<OcrEngine> open_ocr_engine(const OcrSettings& settings);

// The module's one entry point, looked up by name (kOcrModuleEntry). Returns null and fills
// `error` instead of throwing: exceptions are not passed across the dlopen boundary.
using OcrModuleEntry = OcrEngine* (*)(const OcrSettings& settings, std::string& error);
inline constexpr const char* kOcrModuleEntry = "examq_open_ocr_engine";
inline constexpr const char* kOcrModuleName = "examq-ocr.so";

}  // namespace examq::pdf
