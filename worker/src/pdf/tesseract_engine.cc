// examq-ocr.so: the Tesseract engine behind ocr_engine.h, loaded by examq-render on the first page
// that needs OCR (ocr_loader.cc).
#include "pdf/ocr_engine.h"

#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
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
// A reading this poor (mean word confidence, hardly any words, or words that account for little of
// the page's ink) may be of a page turned sideways or upside down: upright text reads at 85-95
// here, turned text at under 50. Confidence alone was not enough: a sideways Liberation Serif
// page came back as six "words" ("Z", "N", "w") read at 83, covering a tenth of the ink.
constexpr double kPoorConfidence = 60;
constexpr std::size_t kFewWords = 3;
constexpr double kPoorInkRead = 0.5;

struct PixDeleter {
  void operator()(Pix* p) const { pixDestroy(&p); }
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

using BoxPtr = std::unique_ptr<Box, void (*)(Box*)>;
BoxPtr make_box(int x, int y, int w, int h) {
  return BoxPtr(boxCreate(x, y, w, h), [](Box* b) { boxDestroy(&b); });
}

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

// Paints `mask` white on `gray`, with a margin of 0.006 in (2 pixels at 300 DPI): anti-aliased
// and blurred edges lie outside the thresholded strokes. With one pixel, the grey halo of a
// slightly blurred scan's dotted lines stayed on the page as ghost rows of dots, and Tesseract's
// page layout dropped whole lines of wording between them. A null mask (a Leptonica failure)
// leaves the page as it is.
void whiten(Pix* gray, Pix* mask, double dpi) {
  if (!mask) return;
  const int margin = std::max(1, static_cast<int>(0.006 * dpi + 0.5));
  PixPtr wider(pixDilateBrick(nullptr, mask, 2 * margin + 1, 2 * margin + 1));
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
    whiten(gray, both.get(), dpi);
  } else {
    whiten(gray, rules ? rules.get() : dots.get(), dpi);
  }
}

// A recognised word in image pixels; `line` numbers Tesseract's text lines.
struct PixelWord {
  std::string text;
  int left, top, right, bottom;
  float confidence;
  int line;
};

// A recognised symbol in image pixels, with the word and line it belongs to.
struct Symbol {
  std::string text;
  int left, top, right, bottom;
  bool word_start;
  float word_confidence;
  int line;
};

std::vector<Symbol> read_symbols(tesseract::TessBaseAPI& api) {
  std::vector<Symbol> symbols;
  std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
  if (!it) return symbols;
  int line = -1;
  float confidence = 0;
  bool word_start = false;
  do {
    if (it->IsAtBeginningOf(tesseract::RIL_TEXTLINE)) ++line;
    if (it->IsAtBeginningOf(tesseract::RIL_WORD)) {
      confidence = it->Confidence(tesseract::RIL_WORD);
      word_start = true;
    }
    std::unique_ptr<char, TextDeleter> text(it->GetUTF8Text(tesseract::RIL_SYMBOL));
    int left = 0, top = 0, right = 0, bottom = 0;
    if (!text || !*text || !it->BoundingBox(tesseract::RIL_SYMBOL, &left, &top, &right, &bottom)) continue;
    symbols.push_back(Symbol{text.get(), left, top, right, bottom, word_start, confidence, line});
    word_start = false;
  } while (it->Next(tesseract::RIL_SYMBOL));
  return symbols;
}

// Drops symbols that sit on blank paper or repeat the one before. The LSTM reads a line as a
// whole and, across the wide gaps of letter-spaced labels, invents characters where there is no
// ink at all: "0 1 . 1" came back as "1.21", with a phantom 2 between the real digits, in every
// typeface but the one the engine had been tuned on; and it reads one bold glyph twice, DejaVu
// Sans Bold's "0" as "OQ" or "O0".
//  - Blank: a symbol is judged on the columns of its box that no neighbour's box covers (LSTM
//    boxes of real letters overlap a lot, so most letters are not judged at all), and only when
//    those columns are at least half its box; it goes when they hold almost no ink.
//  - Repeated: in a label-like word (at most four symbols, one of them a digit, a bracket or a
//    full stop, or all of them O/Q/0) that has more symbols than its box has pieces of ink, a
//    symbol of the same shape as the one before it ("O" and "Q", "C" and "c") whose box lies
//    within that one's box: "OQ" -> "O", "Cc)" -> "C)". Nesting alone proves nothing: LSTM boxes
//    of "(2", "f)" and "and" nest too, and dropping on it cost real letters and brackets.
// The symbol after a dropped word start starts the word instead.
// True for two readings of one shape: the same letter in either case, or digits and letters
// that print alike ("0" "O" "Q", "1" "l" "I", "5" "S").
bool same_shape(const std::string& a, const std::string& b) {
  if (a.size() != 1 || b.size() != 1) return false;
  const char x = a[0], y = b[0];
  if (std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y))) return true;
  static const char* const kAlike[] = {"0OoQD", "1lI|i", "5Ss", "2Zz", "6b", "9gq", "8B"};
  for (const char* group : kAlike) {
    if (std::strchr(group, x) && std::strchr(group, y)) return true;
  }
  return false;
}

// True when symbols[i] is in a label-like word that has more symbols than pieces of ink in its
// box: some glyph was read twice.
bool more_symbols_than_ink(const std::vector<Symbol>& symbols, std::size_t i, Pix* ink) {
  std::size_t first = i, last = i;
  while (first > 0 && !symbols[first].word_start && symbols[first - 1].line == symbols[i].line) --first;
  while (last + 1 < symbols.size() && !symbols[last + 1].word_start && symbols[last + 1].line == symbols[i].line) ++last;
  if (last - first + 1 > 4) return false;
  bool marked = false, zeros = true;
  for (std::size_t k = first; k <= last; ++k) {
    marked = marked || symbols[k].text.find_first_of("0123456789()[].") != std::string::npos;
    zeros = zeros && symbols[k].text.find_first_not_of("0OoQ") == std::string::npos;
  }
  if (!marked && !zeros) return false;
  int left = symbols[first].left, top = symbols[first].top, right = symbols[first].right, bottom = symbols[first].bottom;
  for (std::size_t k = first; k <= last; ++k) {
    left = std::min(left, symbols[k].left);
    top = std::min(top, symbols[k].top);
    right = std::max(right, symbols[k].right);
    bottom = std::max(bottom, symbols[k].bottom);
  }
  BoxPtr box = make_box(left, top, right - left + 1, bottom - top + 1);
  if (!box) return false;
  PixPtr clip(pixClipRectangle(ink, box.get(), nullptr));
  if (!clip) return false;
  std::unique_ptr<Boxa, void (*)(Boxa*)> pieces(pixConnCompBB(clip.get(), 8), [](Boxa* b) { boxaDestroy(&b); });
  return pieces && boxaGetCount(pieces.get()) < static_cast<int>(last - first + 1);
}

void drop_phantom_symbols(std::vector<Symbol>& symbols, Pix* ink) {
  if (!ink) return;
  std::vector<Symbol> kept;
  kept.reserve(symbols.size());
  bool pass_word_start = false;
  float passed_confidence = 0;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    Symbol s = symbols[i];
    if (pass_word_start && s.line == symbols[i - 1].line && !s.word_start) {
      s.word_start = true;
      s.word_confidence = passed_confidence;
    }
    pass_word_start = false;
    int own_left = s.left, own_right = s.right;
    if (i > 0 && symbols[i - 1].line == s.line) own_left = std::max(own_left, symbols[i - 1].right + 1);
    if (i + 1 < symbols.size() && symbols[i + 1].line == s.line) own_right = std::min(own_right, symbols[i + 1].left - 1);
    const int width = s.right - s.left + 1, own = own_right - own_left + 1, height = s.bottom - s.top + 1;
    bool phantom = false;
    if (i > 0 && symbols[i - 1].line == s.line && !s.word_start) {
      const Symbol& before = symbols[i - 1];
      const int inside = std::min(s.right, before.right) - std::max(s.left, before.left) + 1;
      phantom = 5 * inside >= 4 * width && same_shape(s.text, before.text) && more_symbols_than_ink(symbols, i, ink);
    }
    if (!phantom && own >= 3 && 2 * own >= width && height > 0) {
      l_int32 count = 0;
      BoxPtr box = make_box(own_left, s.top, own, height);
      if (box && pixCountPixelsInRect(ink, box.get(), &count, nullptr) == 0) {
        phantom = count <= std::max(1, own * height / 100);
      }
    }
    if (phantom) {
      pass_word_start = s.word_start;
      passed_confidence = s.word_confidence;
      continue;
    }
    kept.push_back(std::move(s));
  }
  symbols = std::move(kept);
}

// The words of the last Recognize (or of the rectangle it was limited to), in full-image pixels,
// checked against `ink` (the page's dark pixels; null: unchecked).
// Read symbol by symbol: a word whose letters are far apart is split where they are. Tesseract
// joins a question number to the first word of its wording across a label column ("1A student"
// for "1", then "A student" 22 pt to the right), and the segmenter needs that gap.
std::vector<PixelWord> read_words(tesseract::TessBaseAPI& api, Pix* ink) {
  std::vector<Symbol> symbols = read_symbols(api);
  drop_phantom_symbols(symbols, ink);
  std::vector<PixelWord> words;
  PixelWord current{"", 0, 0, 0, 0, 0, 0};
  bool open = false;
  auto close = [&] {
    if (open && !current.text.empty()) words.push_back(current);
    open = false;
  };
  for (const Symbol& s : symbols) {
    // A gap wider than the word's height (about two letter widths) inside a word splits it.
    const int height = open ? std::max(current.bottom - current.top, s.bottom - s.top) : 0;
    const bool far = open && s.left - current.right > height;
    if (s.word_start || far || !open || s.line != current.line) {
      close();
      current = PixelWord{"", s.left, s.top, s.right, s.bottom, s.word_confidence, s.line};
      open = true;
    }
    current.text += s.text;
    current.left = std::min(current.left, s.left);
    current.top = std::min(current.top, s.top);
    current.right = std::max(current.right, s.right);
    current.bottom = std::max(current.bottom, s.bottom);
  }
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
void reread_unsure_spans(tesseract::TessBaseAPI& api, Pix* ink, std::vector<PixelWord>& words, int width,
                         int height) {
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
        std::vector<PixelWord> again = read_words(api, ink);
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

// At most this many pieces of unread ink are read on a page: a page with more is a drawing or a
// poor scan, where single-line reads would double its cost for little.
constexpr int kMaxMissedInkPerPage = 24;
// Pieces compared pairwise for sideways stacks: a page of speckle has thousands, and is not worth
// the quadratic time.
constexpr std::size_t kMaxPiecesForStacks = 2000;
// A word read from unread ink is kept only when Tesseract is this sure of it: the ink may be part
// of a diagram.
constexpr float kMissedInkMinConfidence = 60;

bool has_letter_or_digit(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
}

// Median pixel height of the words that have a letter or digit; 0 with none.
int median_text_height(const std::vector<PixelWord>& words) {
  std::vector<int> heights;
  for (const auto& w : words)
    if (has_letter_or_digit(w.text)) heights.push_back(w.bottom - w.top + 1);
  if (heights.empty()) return 0;
  std::nth_element(heights.begin(), heights.begin() + static_cast<std::ptrdiff_t>(heights.size() / 2), heights.end());
  return heights[heights.size() / 2];
}

// Reads, one piece at a time, text-sized ink that no recognised word covers. Page segmentation
// drops lone labels in a column of their own: the question numbers of a two-column
// multiple-choice page ("12" ... "18" down the right column, in Liberation Sans and Serif) and an
// AQA "0" before its "1 . 1", though they are plain on the image. A piece is a run of ink with
// its glyphs joined across gaps of a third of a text height (a word, a label's digit), that
// touches no recognised word (so what is left of a word whose box Tesseract drew too tight is not
// read again as a "1"), and that is as tall as text (half to twice the median word): smaller is
// specks, taller is drawings. Each is read as one line, alone on a copy of the page where every
// recognised word is whitened, so nothing is read twice.
struct InkPiece {
  int x, y, w, h;
};

// Sideways text ("DO NOT WRITE IN THIS AREA" down both margins of every Edexcel page) is, to the
// piece finder, a column of letter-sized pieces stacked closer than a line's spacing; a column of
// lone labels (question numbers down a multiple-choice page, marks at the right margin) has a
// line or more between them. Stacks of three or more go: read one by one they are junk letters,
// and they would use up the page's allowance before the labels further down are reached
// (measured: 17 of the 24 on an Edexcel physics page, whose "(2)" and "(1)" then went unread).
void drop_sideways_text(std::vector<InkPiece>& pieces, int text_height) {
  const std::size_t n = std::min<std::size_t>(pieces.size(), kMaxPiecesForStacks);
  std::vector<std::size_t> parent(n);
  for (std::size_t i = 0; i < n; ++i) parent[i] = i;
  auto root = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const InkPiece& a = pieces[i];
      const InkPiece& b = pieces[j];
      const int overlap = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
      const int gap = std::max(a.y, b.y) - std::min(a.y + a.h, b.y + b.h);
      if (2 * overlap >= std::min(a.w, b.w) && 2 * gap < text_height) parent[root(i)] = root(j);
    }
  }
  std::vector<int> size(n, 0);
  for (std::size_t i = 0; i < n; ++i) ++size[root(i)];
  std::vector<InkPiece> kept;
  kept.reserve(pieces.size());
  for (std::size_t i = 0; i < pieces.size(); ++i)
    if (i >= n || size[root(i)] < 3) kept.push_back(pieces[i]);
  pieces = std::move(kept);
}

// Pieces side by side on one line, closer than half a text height, are one label: a grey "(1)"
// whose thin brackets the closing did not join to the digit comes out as "(", "1" and ")", and
// read one by one the brackets are dropped (no letter or digit) and the "1" is no longer marks.
void join_pieces_of_a_label(std::vector<InkPiece>& pieces, int text_height) {
  std::sort(pieces.begin(), pieces.end(), [](const InkPiece& a, const InkPiece& b) { return a.x < b.x; });
  std::vector<InkPiece> joined;
  std::vector<bool> used(pieces.size(), false);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (used[i]) continue;
    InkPiece label = pieces[i];
    for (std::size_t j = i + 1; j < pieces.size(); ++j) {
      if (used[j]) continue;
      const InkPiece& b = pieces[j];
      if (b.x - (label.x + label.w) >= text_height / 2) break;  // sorted by x: nothing nearer follows
      const int overlap = std::min(label.y + label.h, b.y + b.h) - std::max(label.y, b.y);
      if (2 * overlap < std::min(label.h, b.h)) continue;
      const int x1 = std::max(label.x + label.w, b.x + b.w), y1 = std::max(label.y + label.h, b.y + b.h);
      label.x = std::min(label.x, b.x);
      label.y = std::min(label.y, b.y);
      label.w = x1 - label.x;
      label.h = y1 - label.y;
      used[j] = true;
    }
    joined.push_back(label);
  }
  pieces = std::move(joined);
}

void read_missed_ink(tesseract::TessBaseAPI& api, Pix* gray, Pix* ink, double dpi, std::vector<PixelWord>& words) {
  const int text_height = median_text_height(words);
  if (!ink || text_height <= 0 || words.size() < kFewWords) return;
  const int width = pixGetWidth(gray), height = pixGetHeight(gray);
  PixPtr joined(pixCloseSafeBrick(nullptr, ink, std::max(2, text_height / 3), 1));
  if (!joined) return;
  std::unique_ptr<Boxa, void (*)(Boxa*)> pieces(pixConnCompBB(joined.get(), 8), [](Boxa* b) { boxaDestroy(&b); });
  if (!pieces) return;
  using Piece = InkPiece;
  auto touches_a_word = [&](const Piece& p) {
    return std::any_of(words.begin(), words.end(), [&](const PixelWord& w) {
      return p.x <= w.right && w.left <= p.x + p.w - 1 && p.y <= w.bottom && w.top <= p.y + p.h - 1;
    });
  };
  std::vector<Piece> candidates;
  for (int i = 0; i < boxaGetCount(pieces.get()); ++i) {
    Piece p{};
    if (boxaGetBoxGeometry(pieces.get(), i, &p.x, &p.y, &p.w, &p.h) != 0) continue;
    if (2 * p.h < text_height || p.h > 2 * text_height || touches_a_word(p)) continue;
    candidates.push_back(p);
  }
  drop_sideways_text(candidates, text_height);
  join_pieces_of_a_label(candidates, text_height);
  if (candidates.empty()) return;
  std::sort(candidates.begin(), candidates.end(), [](const Piece& a, const Piece& b) {
    return a.y != b.y ? a.y < b.y : a.x < b.x;
  });
  if (candidates.size() > static_cast<std::size_t>(kMaxMissedInkPerPage)) candidates.resize(kMaxMissedInkPerPage);

  PixPtr masked(pixCopy(nullptr, gray));
  if (!masked) return;
  const int pad = std::max(2, text_height / 8);
  for (const auto& w : words) {
    BoxPtr box = make_box(w.left - pad, w.top - pad, w.right - w.left + 1 + 2 * pad, w.bottom - w.top + 1 + 2 * pad);
    if (box) pixSetInRect(masked.get(), box.get());  // all bits set: white in a grayscale image
  }
  int next_line = 0;
  for (const auto& w : words) next_line = std::max(next_line, w.line + 1);
  api.SetImage(masked.get());
  api.SetSourceResolution(static_cast<int>(dpi + 0.5));
  api.SetPageSegMode(tesseract::PSM_SINGLE_LINE);
  const int margin = std::max(4, text_height / 3);
  for (const Piece& p : candidates) {
    const int x0 = std::max(0, p.x - margin), y0 = std::max(0, p.y - margin);
    const int x1 = std::min(width, p.x + p.w + margin), y1 = std::min(height, p.y + p.h + margin);
    api.SetRectangle(x0, y0, x1 - x0, y1 - y0);
    if (api.Recognize(nullptr) != 0) continue;
    for (PixelWord& w : read_words(api, ink)) {
      if (w.confidence < kMissedInkMinConfidence || !has_letter_or_digit(w.text)) continue;
      w.line = next_line;
      words.push_back(std::move(w));
    }
    ++next_line;
  }
  api.SetPageSegMode(tesseract::PSM_AUTO);
}

// Share of the dark pixels of `ink` that lie inside the words' boxes: near 1 when the page was
// read, small when most of its text was not (a page turned sideways). 1 for a page without ink.
// Tesseract's page layout analysis (PSM_AUTO) sometimes drops the start of a line as a block of
// its own that it then does not read: "Q.9. (a" before "[3 marks] Explain ...", "e)" before a
// part's wording, measured on real scanned papers. Read as a single column, the page keeps those
// starts (but loses other things, such as marks far out at the right margin). So the page is read
// a second time as one column, and the words of that reading that overlap no word of the first
// are added, when Tesseract is as sure of them as of missed ink: read as one column, hatched
// margins and figures come back as junk ("os", "foe", "if" down an Edexcel margin, confidence
// 7-57) that would make a right column of their own and take the marks beside them. Costs a
// second recognition of the page.
void add_single_column_reading(tesseract::TessBaseAPI& api, Pix* pix, Pix* ink, double dpi,
                               std::vector<PixelWord>& words) {
  api.SetPageSegMode(tesseract::PSM_SINGLE_COLUMN);
  api.SetImage(pix);
  api.SetSourceResolution(static_cast<int>(dpi + 0.5));
  if (api.Recognize(nullptr) == 0) {
    const std::vector<PixelWord> more = read_words(api, ink);
    const std::size_t first = words.size();
    for (const PixelWord& m : more) {
      bool overlaps = false;
      for (std::size_t k = 0; k < first && !overlaps; ++k) {
        const PixelWord& w = words[k];
        overlaps = m.left < w.right && w.left < m.right && m.top < w.bottom && w.top < m.bottom;
      }
      if (!overlaps && m.confidence >= kMissedInkMinConfidence) words.push_back(m);
    }
  }
  api.SetPageSegMode(tesseract::PSM_AUTO);
}

// Enough words, and sure of them on average: what a sideways page read upright never is.
bool read_with_confidence(const std::vector<PixelWord>& words) {
  if (words.size() < kFewWords) return false;
  double sum = 0;
  for (const auto& w : words) sum += w.confidence;
  return sum / static_cast<double>(words.size()) >= kPoorConfidence;
}

double ink_read(Pix* ink, const std::vector<PixelWord>& words) {
  if (!ink) return 1;
  l_int32 total = 0;
  if (pixCountPixels(ink, &total, nullptr) != 0 || total == 0) return 1;
  PixPtr inside(pixCreate(pixGetWidth(ink), pixGetHeight(ink), 1));
  if (!inside) return 1;
  for (const auto& w : words) {
    BoxPtr box = make_box(w.left, w.top, w.right - w.left + 1, w.bottom - w.top + 1);
    if (box) pixSetInRect(inside.get(), box.get());
  }
  pixAnd(inside.get(), inside.get(), ink);
  l_int32 read = 0;
  if (pixCountPixels(inside.get(), &read, nullptr) != 0) return 1;
  return static_cast<double>(read) / total;
}

// One reading of a page, and how much of the page's ink its words account for.
struct Reading {
  OcrPage page;
  double ink_read = 1;
  bool poor() const {
    return page.text.words.size() < kFewWords || page.mean_confidence < kPoorConfidence || ink_read < kPoorInkRead;
  }
  // For choosing between two readings of one page (as it is, and turned): sure words that read
  // most of the ink.
  double quality() const { return page.mean_confidence * ink_read; }
};

class TesseractEngine final : public OcrEngine {
 public:
  static std::unique_ptr<TesseractEngine> open(const OcrSettings& settings);
  ~TesseractEngine() override;
  OcrPage recognise(const GrayBitmap& bitmap) override;

 private:
  TesseractEngine(const OcrSettings& settings, std::string tessdata_dir)
      : settings_(settings), tessdata_dir_(std::move(tessdata_dir)) {}
  // Deskews a copy of `pix`, erases its rules and dotted lines, and reads it.
  Reading read_upright(Pix* pix, double dpi, int rotated_degrees);
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
    whiten(pix.get(), specks.get(), bitmap.dpi);
  }

  // Most scans are upright: read the page as it is, and ask OSD which way up it is only when
  // that reading is poor. OSD on every page cost 28% more time and 60 MB for its model.
  Reading reading = read_upright(pix.get(), bitmap.dpi, 0);
  if (reading.poor() && settings_.detect_orientation) {
    if (const int quads = quarter_turns_to_upright(pix.get()); quads != 0) {
      PixPtr upright(pixRotateOrth(pix.get(), quads));
      if (upright) {
        Reading turned = read_upright(upright.get(), bitmap.dpi, quads * 90);
        if (turned.quality() > reading.quality()) reading = std::move(turned);
      }
    }
  }
  return std::move(reading.page);
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

Reading TesseractEngine::read_upright(Pix* source, double dpi, int rotated_degrees) {
  Reading reading;
  OcrPage& page = reading.page;
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
  PixPtr ink = ink_of(pix.get());  // what the words read are checked against
  // Symbols are checked against a lighter cut: papers print marks and labels in grey ("(2)" at
  // Edexcel's right margin), which mid-grey misses, and a symbol with no ink under it is dropped
  // as a phantom. Missed ink is still hunted on the mid-grey cut, where a scan's grey speckle
  // does not show.
  PixPtr light(pixThresholdToBinary(pix.get(), 200));
  Pix* symbols_ink = light ? light.get() : ink.get();
  std::vector<PixelWord> words = read_words(*reader_, symbols_ink);
  reread_unsure_spans(*reader_, ink.get(), words, pixGetWidth(pix.get()), pixGetHeight(pix.get()));
  // Lone labels are worth hunting for only on a page that was read: on a page turned sideways the
  // reading is thrown away anyway. A page read with confidence counts as read even when most of
  // its ink is not words: a chromatogram, a circuit, hatched margins (an Edexcel chemistry page
  // read 43% of its ink, and the part label under its diagram was lost with the hunt skipped).
  reading.ink_read = ink_read(ink.get(), words);
  if (reading.ink_read >= kPoorInkRead || read_with_confidence(words)) {
    read_missed_ink(*reader_, pix.get(), ink.get(), dpi, words);
    add_single_column_reading(*reader_, pix.get(), symbols_ink, dpi, words);
    reading.ink_read = ink_read(ink.get(), words);
  }
  reader_->Clear();

  const double scale = 72.0 / dpi;  // pixels to points
  page.text.width = pixGetWidth(pix.get()) * scale;
  page.text.height = pixGetHeight(pix.get()) * scale;
  std::vector<OcrWord> scaled;
  scaled.reserve(words.size());
  double confidence_sum = 0;
  for (const PixelWord& w : words) {
    scaled.push_back(
        OcrWord{w.text, w.left * scale, w.top * scale, w.right * scale, w.bottom * scale, w.confidence, w.line});
    confidence_sum += w.confidence;
  }
  page.mean_confidence = scaled.empty() ? 0 : confidence_sum / static_cast<double>(scaled.size());
  page.text.words = keep_readable_words(scaled);
  return reading;
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
