#include "pdf/ocr_words.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace examq::pdf {
namespace {

bool has_alnum(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
}

// Confidence below which a word without letters or digits is taken for noise.
constexpr float kPunctuationMinConfidence = 60;
// Confidence below which a small word is taken for a speck.
constexpr float kSpeckMinConfidence = 50;
// A word shorter than this share of its line's median word is given the line's height.
constexpr double kShortInLine = 0.6;

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
  return values[values.size() / 2];
}

// Gives words much shorter than the rest of their line the line's median top and bottom.
void even_out_short_words(std::vector<OcrWord>& words) {
  std::map<int, std::vector<double>> tops, bottoms, heights;
  for (const OcrWord& w : words) {
    if (w.line < 0 || !has_alnum(w.text)) continue;
    tops[w.line].push_back(w.y0);
    bottoms[w.line].push_back(w.y1);
    heights[w.line].push_back(w.y1 - w.y0);
  }
  for (OcrWord& w : words) {
    const auto h = heights.find(w.line);
    if (h == heights.end()) continue;
    if (w.y1 - w.y0 >= kShortInLine * median(h->second)) continue;
    w.y0 = median(tops[w.line]);
    w.y1 = median(bottoms[w.line]);
  }
}

}  // namespace

bool has_usable_text_layer(const PageText& page) {
  int words = 0;
  for (const Word& w : page.words) {
    // Sideways words are margin furniture ("DO NOT WRITE IN THIS AREA" down both edges of an
    // Edexcel page whose questions are drawn as outlines): they do not make a page readable.
    if (w.rotation == 0 && has_alnum(w.text) && ++words >= kMinTextLayerWords) return true;
  }
  return false;
}

bool has_unread_ink(const GrayBitmap& bitmap, const PageText& text) {
  if (bitmap.width <= 0 || bitmap.height <= 0) return false;
  std::vector<unsigned char> rest = bitmap.pixels;
  const double scale = bitmap.dpi / 72.0;
  const int pad = std::max(2, static_cast<int>(scale));  // anti-aliased glyph edges
  for (const Word& w : text.words) {
    if (!(w.x1 > w.x0) || !(w.y1 > w.y0)) continue;  // also drops NaN boxes
    const int x0 = std::clamp(static_cast<int>(w.x0 * scale) - pad, 0, bitmap.width);
    const int x1 = std::clamp(static_cast<int>(w.x1 * scale) + pad, 0, bitmap.width);
    const int y0 = std::clamp(static_cast<int>(w.y0 * scale) - pad, 0, bitmap.height);
    const int y1 = std::clamp(static_cast<int>(w.y1 * scale) + pad, 0, bitmap.height);
    for (int y = y0; y < y1; ++y) {
      std::fill(rest.begin() + static_cast<std::ptrdiff_t>(y) * bitmap.width + x0,
                rest.begin() + static_cast<std::ptrdiff_t>(y) * bitmap.width + x1, 255);
    }
  }
  const std::size_t limit = rest.size() / 5000;
  std::size_t ink = 0;
  for (unsigned char p : rest) {
    if (p < 128 && ++ink > limit) return true;
  }
  return false;
}

std::vector<Word> keep_readable_words(const std::vector<OcrWord>& words) {
  std::vector<double> heights;
  for (const OcrWord& w : words) {
    if (has_alnum(w.text) && w.y1 > w.y0) heights.push_back(w.y1 - w.y0);
  }
  const double text_height = median(heights);

  std::vector<OcrWord> readable;
  readable.reserve(words.size());
  for (const OcrWord& w : words) {
    const double height = w.y1 - w.y0;
    const double width = w.x1 - w.x0;
    if (height <= 0 || width <= 0) continue;
    if (text_height > 0) {
      const bool flat_and_wide = height < 0.5 * text_height && width > 4 * height;
      if (flat_and_wide) continue;  // a dotted answer line
      const bool speck = height < 0.4 * text_height && width < text_height && w.confidence < kSpeckMinConfidence;
      if (speck) continue;
    }
    if (!has_alnum(w.text) && w.confidence < kPunctuationMinConfidence) continue;
    readable.push_back(w);
  }
  even_out_short_words(readable);
  std::vector<Word> kept;
  kept.reserve(readable.size());
  for (const OcrWord& w : readable) kept.push_back(Word{w.text, w.x0, w.y0, w.x1, w.y1});
  return kept;
}

}  // namespace examq::pdf
