#include "extract/text_extractor.h"

#include <algorithm>

#include "extract/dot_leaders.h"
#include "extract/line_builder.h"
#include "extract/ocr_labels.h"
#include "extract/page_furniture.h"
#include "extract/reading_order.h"
#include "extract/segmenter.h"

namespace examq::extract {

namespace {

// A dense exam page has about 1,500 words. A text layer far beyond that is hostile or broken
// (thousands of invisible glyphs); reading only the first words keeps the worker's time and
// memory bounded.
constexpr std::size_t kMaxWordsPerPage = 20000;

// Words turned sideways are margin text ("DO NOT WRITE IN THIS AREA" down both sides of every
// Edexcel page) or rotated table headings, never question wording; but a page printed sideways
// has (nearly) all its words turned, and then they are the page. A formulae page with a few
// upright symbols between long margins keeps only the upright ones.
std::vector<pdf::Word> upright_words(const pdf::PageText& page) {
  const std::size_t n = std::min(page.words.size(), kMaxWordsPerPage);
  std::size_t turned = 0;
  for (std::size_t i = 0; i < n; ++i) turned += page.words[i].rotation != 0;
  std::vector<pdf::Word> words;
  words.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    if (page.words[i].rotation == 0 || 10 * (n - turned) < n) words.push_back(page.words[i]);
  return words;
}

}  // namespace

std::vector<Region> layout_paper(const std::vector<pdf::PageText>& pages, const ProgressFn& progress,
                                 std::stop_token cancel) {
  std::vector<PageLines> paper;
  paper.reserve(pages.size());
  for (const auto& page : pages) {
    if (cancel.stop_requested()) throw Cancelled();
    PageLines p{page.page_number, page.width, page.height, build_lines(page.page_number, upright_words(page))};
    p.scanned = page.source == pdf::TextSource::ocr;
    if (p.scanned) repair_ocr_labels(p.lines);
    // Leaders go first so that "Extra space ........" reads as furniture and an answer line that
    // carried only dots disappears.
    std::erase_if(p.lines, [](Line& line) { return strip_leaders(line) && line.words.empty(); });
    paper.push_back(std::move(p));
  }
  remove_page_furniture(paper);

  std::vector<Region> regions;
  const int total = static_cast<int>(paper.size());
  for (int i = 0; i < total; ++i) {
    if (cancel.stop_requested()) throw Cancelled();
    auto page_regions = reading_order(paper[static_cast<std::size_t>(i)]);
    for (auto& r : page_regions) regions.push_back(std::move(r));
    if (progress) progress(i + 1, total);
  }
  assign_margins(regions);
  return regions;
}

std::vector<Question> TextExtractor::extract(const std::vector<pdf::PageText>& pages, const ProgressFn& progress,
                                             std::stop_token cancel) const {
  const std::vector<Region> regions = layout_paper(pages, progress, cancel);
  std::vector<Question> questions = segment(regions, std::string(name()));
  // A row read from a scan says so, so the app can flag it for checking.
  for (Question& q : questions) {
    const auto page = std::find_if(pages.begin(), pages.end(),
                                   [&](const pdf::PageText& p) { return p.page_number == q.page_number; });
    if (page != pages.end() && page->source == pdf::TextSource::ocr) q.source = "ocr";
  }
  return questions;
}

}  // namespace examq::extract
