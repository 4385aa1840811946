// examq-ocr.so: the Tesseract engine behind ocr_engine.h, loaded by examq-render on the first page
// that needs OCR (ocr_loader.cc).
#include "pdf/ocr_engine.h"

#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "pdf/ocr_words.h"

namespace examq::pdf {
namespace {

// OSD's confidence for pages that really are turned is well above this (15-18 on the fixtures),
// while a page it cannot read at all scores near 0: rotating on a weak guess would ruin an
// upright page.
constexpr float kMinOrientationConfidence = 2.0f;
// A reading this poor (mean word confidence, or hardly any words) may be of a page turned
// sideways or upside down: upright text reads at 85-95 here, turned text at under 50.
constexpr double kPoorConfidence = 60;
constexpr std::size_t kFewWords = 3;

struct PixDeleter {
  void operator()(Pix* p) const { pixDestroy(&p); }
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

struct TextDeleter {
  void operator()(char* p) const { delete[] p; }
};

std::string default_tessdata_dir() {
  if (const char* prefix = std::getenv("TESSDATA_PREFIX"); prefix && *prefix) return prefix;
  return "/usr/share/tesseract-ocr/5/tessdata";
}

bool file_exists(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> split_languages(const std::string& languages) {
  std::vector<std::string> out;
  std::string current;
  for (char c : languages + "+") {
    if (c == '+') {
      if (current.empty()) throw OcrUnavailable("OCR languages '" + languages + "' are not a list such as eng or eng+deu");
      out.push_back(current);
      current.clear();
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
      current += c;
    } else {
      throw OcrUnavailable("OCR languages '" + languages + "' are not a list such as eng or eng+deu");
    }
  }
  return out;
}

std::unique_ptr<tesseract::TessBaseAPI> load(const std::string& dir, const std::string& languages,
                                             tesseract::OcrEngineMode mode) {
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  // Tesseract reports through tprintf to stderr; the parent keeps only the tail of it.
  api->SetVariable("debug_file", "/dev/null");
  if (api->Init(dir.c_str(), languages.c_str(), mode) != 0) {
    throw OcrUnavailable("Tesseract could not load '" + languages + "' from " + dir);
  }
  return api;
}

PixPtr to_pix(const GrayBitmap& bitmap) {
  PixPtr pix(pixCreate(bitmap.width, bitmap.height, 8));
  if (!pix) throw std::runtime_error("OCR: no memory for a " + std::to_string(bitmap.width) + "x" +
                                     std::to_string(bitmap.height) + " image");
  l_uint32* data = pixGetData(pix.get());
  const int wpl = pixGetWpl(pix.get());
  for (int y = 0; y < bitmap.height; ++y) {
    l_uint32* line = data + static_cast<std::size_t>(y) * wpl;
    const unsigned char* row = bitmap.pixels.data() + static_cast<std::size_t>(y) * bitmap.width;
    for (int x = 0; x < bitmap.width; ++x) SET_DATA_BYTE(line, x, row[x]);
  }
  pixSetResolution(pix.get(), static_cast<int>(bitmap.dpi + 0.5), static_cast<int>(bitmap.dpi + 0.5));
  return pix;
}

// Dark pixels (thresholded at 160 of 255): what the masks below are found in.
PixPtr ink_of(Pix* gray) { return PixPtr(pixThresholdToBinary(gray, 160)); }

// Paints `mask` white on `gray`, with a pixel's margin: anti-aliased edges lie just outside
// the thresholded strokes. A null mask (a Leptonica failure) leaves the page as it is.
void whiten(Pix* gray, Pix* mask) {
  if (!mask) return;
  PixPtr wider(pixDilateBrick(nullptr, mask, 3, 3));
  if (wider) pixPaintThroughMask(gray, wider.get(), 0, 0, 0xff);
}

// Solid ruled lines: the boxes round AQA's question digits, tables, margins. Tesseract reads a
// box edge next to a digit as a bracket or a 1 ("[o]2}.[2|" for "0 2 . 2"). A stroke counts as
// a rule when it is at least 0.15 in long horizontally or 0.2 in vertically: longer than any
// letter's bar or stem up to ~16 pt type.
PixPtr rules_in(Pix* ink, double dpi) {
  const int across = std::max(8, static_cast<int>(0.15 * dpi));
  const int down = std::max(8, static_cast<int>(0.2 * dpi));
  PixPtr horizontal(pixOpenBrick(nullptr, ink, across, 1));
  PixPtr vertical(pixOpenBrick(nullptr, ink, 1, down));
  if (!horizontal || !vertical) return nullptr;
  return PixPtr(pixOr(nullptr, horizontal.get(), vertical.get()));
}

// Dotted (and dashed) answer lines: Tesseract turns them into long junk words, and a line of
// text next to one was dropped whole or swallowed the marks printed at its end. Dots a full
// stop's advance apart are bridged into runs; a run at least 0.5 in long and no taller than a
// dot (0.04 in) is a leader, never text, whose runs are as tall as its letters.
PixPtr dotted_lines_in(Pix* ink, double dpi) {
  const int gap = std::max(3, static_cast<int>(0.06 * dpi));
  PixPtr bridged(pixCloseSafeBrick(nullptr, ink, gap, 1));
  if (!bridged) return nullptr;
  l_int32 changed = 0;
  PixPtr long_runs(pixSelectBySize(bridged.get(), static_cast<int>(0.5 * dpi), 0, 8, L_SELECT_WIDTH,
                                   L_SELECT_IF_GTE, &changed));
  if (!long_runs) return nullptr;
  return PixPtr(pixSelectBySize(long_runs.get(), 0, std::max(2, static_cast<int>(0.04 * dpi)), 8, L_SELECT_HEIGHT,
                                L_SELECT_IF_LTE, &changed));
}

// Specks: scanner noise smaller than 0.012 in both ways (a full stop or the dot of an i at 9 pt
// is twice that). Tesseract's line finding took a page sprinkled with them for text everywhere
// and scrambled the real lines' words across each other.
PixPtr specks_in(Pix* ink, double dpi) {
  const int size = std::max(2, static_cast<int>(0.012 * dpi));
  l_int32 changed = 0;
  return PixPtr(pixSelectBySize(ink, size, size, 8, L_SELECT_IF_BOTH, L_SELECT_IF_LTE, &changed));
}

// Erases rules and dotted lines in one pass over the page's ink (after deskewing: a skewed rule
// has no long straight run).
void erase_lines(Pix* gray, double dpi) {
  PixPtr ink = ink_of(gray);
  if (!ink) return;
  PixPtr rules = rules_in(ink.get(), dpi);
  PixPtr dots = dotted_lines_in(ink.get(), dpi);
  if (rules && dots) {
    PixPtr both(pixOr(nullptr, rules.get(), dots.get()));
    whiten(gray, both.get());
  } else {
    whiten(gray, rules ? rules.get() : dots.get());
  }
}

// A recognised word in image pixels; `line` numbers Tesseract's text lines.
struct PixelWord {
  std::string text;
  int left, top, right, bottom;
  float confidence;
  int line;
};

// The words of the last Recognize (or of the rectangle it was limited to), in full-image pixels.
// Read symbol by symbol: a word whose letters are far apart is split where they are. Tesseract
// joins a question number to the first word of its wording across a label column ("1A student"
// for "1", then "A student" 22 pt to the right), and the segmenter needs that gap.
std::vector<PixelWord> read_words(tesseract::TessBaseAPI& api) {
  std::vector<PixelWord> words;
  std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
  if (!it) return words;
  int line = -1;
  float confidence = 0;
  PixelWord current{"", 0, 0, 0, 0, 0, 0};
  bool open = false;
  auto close = [&] {
    if (open && !current.text.empty()) words.push_back(current);
    open = false;
  };
  do {
    if (it->IsAtBeginningOf(tesseract::RIL_TEXTLINE)) ++line;
    const bool word_start = it->IsAtBeginningOf(tesseract::RIL_WORD);
    if (word_start) confidence = it->Confidence(tesseract::RIL_WORD);
    std::unique_ptr<char, TextDeleter> text(it->GetUTF8Text(tesseract::RIL_SYMBOL));
    int left = 0, top = 0, right = 0, bottom = 0;
    if (!text || !*text || !it->BoundingBox(tesseract::RIL_SYMBOL, &left, &top, &right, &bottom)) continue;
    // A gap wider than the word's height (about two letter widths) inside a word splits it.
    const int height = open ? std::max(current.bottom - current.top, bottom - top) : 0;
    const bool far = open && left - current.right > height;
    if (word_start || far || !open) {
      close();
      current = PixelWord{"", left, top, right, bottom, confidence, line};
      open = true;
    }
    current.text += text.get();
    current.left = std::min(current.left, left);
    current.top = std::min(current.top, top);
    current.right = std::max(current.right, right);
    current.bottom = std::max(current.bottom, bottom);
  } while (it->Next(tesseract::RIL_SYMBOL));
  close();
  return words;
}

// Below this a word is worth a second look.
constexpr float kUnsureConfidence = 50;
// A page with more unsure spans than this is simply a poor scan: re-reading it all would double
// the page's cost for little.
constexpr int kMaxRereadsPerPage = 12;

// Reads again, as one line on its own, each run of unsure words within a line, and keeps the
// new reading when Tesseract is clearly surer of it. Page segmentation sometimes reads a label
// column badly in context (AQA's bold "0 1" above "0 1 . 1" came out as "ie |" at 16%) and
// correctly alone.
void reread_unsure_spans(tesseract::TessBaseAPI& api, std::vector<PixelWord>& words, int width, int height) {
  int rereads = 0;
  std::vector<PixelWord> result;
  result.reserve(words.size());
  for (std::size_t i = 0; i < words.size();) {
    if (words[i].confidence >= kUnsureConfidence || rereads >= kMaxRereadsPerPage) {
      result.push_back(std::move(words[i++]));
      continue;
    }
    std::size_t end = i + 1;
    while (end < words.size() && words[end].line == words[i].line && words[end].confidence < kUnsureConfidence) ++end;
    int left = words[i].left, top = words[i].top, right = words[i].right, bottom = words[i].bottom;
    float old_confidence = 0;
    for (std::size_t k = i; k < end; ++k) {
      left = std::min(left, words[k].left);
      top = std::min(top, words[k].top);
      right = std::max(right, words[k].right);
      bottom = std::max(bottom, words[k].bottom);
      old_confidence += words[k].confidence;
    }
    old_confidence /= static_cast<float>(end - i);
    // Room round the span, but not into the next word of the line.
    const int pad = std::max(4, (bottom - top) / 3);
    int limit_right = width;
    if (end < words.size() && words[end].line == words[i].line) limit_right = words[end].left - 1;
    const int x0 = std::max(0, left - pad), y0 = std::max(0, top - pad);
    const int x1 = std::min(limit_right, right + pad), y1 = std::min(height, bottom + pad);
    ++rereads;
    bool replaced = false;
    if (x1 - x0 > 4 && y1 - y0 > 4) {
      api.SetPageSegMode(tesseract::PSM_SINGLE_LINE);
      api.SetRectangle(x0, y0, x1 - x0, y1 - y0);
      if (api.Recognize(nullptr) == 0) {
        std::vector<PixelWord> again = read_words(api);
        float new_confidence = 0;
        for (const auto& w : again) new_confidence += w.confidence;
        if (!again.empty()) new_confidence /= static_cast<float>(again.size());
        if (!again.empty() && new_confidence >= old_confidence + 20) {
          for (auto& w : again) {
            w.line = words[i].line;
            result.push_back(std::move(w));
          }
          replaced = true;
        }
      }
      api.SetPageSegMode(tesseract::PSM_AUTO);
    }
    if (!replaced) {
      for (std::size_t k = i; k < end; ++k) result.push_back(std::move(words[k]));
    }
    i = end;
  }
  words = std::move(result);
}

class TesseractEngine final : public OcrEngine {
 public:
  static std::unique_ptr<TesseractEngine> open(const OcrSettings& settings);
  ~TesseractEngine() override;
  OcrPage recognise(const GrayBitmap& bitmap) override;

 private:
  TesseractEngine(const OcrSettings& settings, std::string tessdata_dir)
      : settings_(settings), tessdata_dir_(std::move(tessdata_dir)) {}
  // Deskews a copy of `pix`, erases its rules and dotted lines, and reads it.
  OcrPage read_upright(Pix* pix, double dpi, int rotated_degrees);
  // Clockwise quarter turns that make `pix` upright by OSD; 0 when unsure. Loads the model on
  // first use.
  int quarter_turns_to_upright(Pix* pix);
  OcrSettings settings_;
  std::string tessdata_dir_;
  std::unique_ptr<tesseract::TessBaseAPI> reader_;
  std::unique_ptr<tesseract::TessBaseAPI> orientation_;
};

std::unique_ptr<TesseractEngine> TesseractEngine::open(const OcrSettings& settings) {
  const std::string dir = settings.tessdata_dir.empty() ? default_tessdata_dir() : settings.tessdata_dir;
  // Name the missing file and its package before Tesseract's own, vaguer, failure.
  std::vector<std::string> needed = split_languages(settings.languages);
  if (settings.detect_orientation) needed.push_back("osd");
  for (const std::string& lang : needed) {
    if (!file_exists(dir + "/" + lang + ".traineddata")) {
      throw OcrUnavailable("OCR language '" + lang + "' is not installed: no " + lang + ".traineddata in " + dir +
                           " (Debian package tesseract-ocr-" + lang + ")");
    }
  }
  auto engine = std::unique_ptr<TesseractEngine>(new TesseractEngine(settings, dir));
  engine->reader_ = load(dir, settings.languages, tesseract::OEM_LSTM_ONLY);
  // Automatic page segmentation, on a page whose rules and dotted lines are already erased:
  // with them, it dropped whole lines next to answer lines. Sparse-text mode kept those but
  // lost lone question numbers ("2" at the margin) on every multiple-choice page.
  engine->reader_->SetPageSegMode(tesseract::PSM_AUTO);
  return engine;
}

TesseractEngine::~TesseractEngine() {
  if (reader_) reader_->End();
  if (orientation_) orientation_->End();
}

OcrPage TesseractEngine::recognise(const GrayBitmap& bitmap) {
  if (bitmap.width <= 0 || bitmap.height <= 0 || bitmap.dpi <= 0 ||
      bitmap.pixels.size() < static_cast<std::size_t>(bitmap.width) * bitmap.height) {
    throw std::runtime_error("OCR: empty or inconsistent page image");
  }
  PixPtr pix = to_pix(bitmap);
  // Specks first: they mislead the skew search and orientation detection too.
  if (PixPtr ink = ink_of(pix.get())) {
    PixPtr specks = specks_in(ink.get(), bitmap.dpi);
    whiten(pix.get(), specks.get());
  }

  // Most scans are upright: read the page as it is, and ask OSD which way up it is only when
  // that reading is poor. OSD on every page cost 28% more time and 60 MB for its model.
  OcrPage page = read_upright(pix.get(), bitmap.dpi, 0);
  const bool poor = page.text.words.size() < kFewWords || page.mean_confidence < kPoorConfidence;
  if (poor && settings_.detect_orientation) {
    if (const int quads = quarter_turns_to_upright(pix.get()); quads != 0) {
      PixPtr upright(pixRotateOrth(pix.get(), quads));
      if (upright) {
        OcrPage turned = read_upright(upright.get(), bitmap.dpi, quads * 90);
        if (turned.mean_confidence > page.mean_confidence) page = std::move(turned);
      }
    }
  }
  return page;
}

int TesseractEngine::quarter_turns_to_upright(Pix* pix) {
  if (!orientation_) {
    // Orientation detection lives in the legacy engine's osd model, in its own instance.
    orientation_ = load(tessdata_dir_, "osd", tesseract::OEM_TESSERACT_ONLY);
    orientation_->SetPageSegMode(tesseract::PSM_OSD_ONLY);
  }
  orientation_->SetImage(pix);
  int degrees = 0;
  float confidence = 0, script_confidence = 0;
  const char* script = nullptr;
  // False when the page has too little text to judge: it stays as it is.
  const bool found = orientation_->DetectOrientationScript(&degrees, &confidence, &script, &script_confidence);
  orientation_->Clear();
  if (!found || confidence < kMinOrientationConfidence || degrees % 90 != 0) return 0;
  // OSD reports how far the image is turned clockwise; pixRotateOrth turns clockwise by quarter
  // turns, so undo it with the complement.
  return ((360 - degrees % 360) / 90) % 4;
}

OcrPage TesseractEngine::read_upright(Pix* source, double dpi, int rotated_degrees) {
  OcrPage page;
  page.rotated_degrees = rotated_degrees;
  PixPtr pix(pixCopy(nullptr, source));  // the caller may need the original for another turn
  if (!pix) throw std::bad_alloc();
  {
    l_float32 angle = 0, confidence = 0;
    // A clone when the skew is negligible or not found with confidence.
    PixPtr straight(pixFindSkewAndDeskew(pix.get(), 2, &angle, &confidence));
    if (straight) {
      if (straight.get() != pix.get()) page.skew_degrees = angle;
      pix = std::move(straight);
    }
  }
  erase_lines(pix.get(), dpi);

  reader_->SetImage(pix.get());
  reader_->SetSourceResolution(static_cast<int>(dpi + 0.5));
  if (reader_->Recognize(nullptr) != 0) {
    reader_->Clear();
    throw std::runtime_error("OCR: Tesseract could not recognise the page");
  }
  std::vector<PixelWord> words = read_words(*reader_);
  reread_unsure_spans(*reader_, words, pixGetWidth(pix.get()), pixGetHeight(pix.get()));
  reader_->Clear();

  const double scale = 72.0 / dpi;  // pixels to points
  page.text.width = pixGetWidth(pix.get()) * scale;
  page.text.height = pixGetHeight(pix.get()) * scale;
  std::vector<OcrWord> scaled;
  scaled.reserve(words.size());
  double confidence_sum = 0;
  for (const PixelWord& w : words) {
    scaled.push_back(OcrWord{w.text, w.left * scale, w.top * scale, w.right * scale, w.bottom * scale, w.confidence});
    confidence_sum += w.confidence;
  }
  page.mean_confidence = scaled.empty() ? 0 : confidence_sum / static_cast<double>(scaled.size());
  page.text.words = keep_readable_words(scaled);
  return page;
}

}  // namespace
}  // namespace examq::pdf

// The module's entry point (ocr_engine.h): the only symbol it exports.
extern "C" __attribute__((visibility("default"))) examq::pdf::OcrEngine* examq_open_ocr_engine(
    const examq::pdf::OcrSettings& settings, std::string& error) {
  try {
    return examq::pdf::TesseractEngine::open(settings).release();
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
}
