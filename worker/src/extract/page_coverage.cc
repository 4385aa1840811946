#include "extract/page_coverage.h"

#include <cctype>
#include <cmath>
#include <map>
#include <string>
#include <tuple>

namespace examq::extract {
namespace {

constexpr double kMarginBand = 0.06;  // top and bottom share of the page height left out
constexpr int kSamePlace = 2;         // points: "the same place" on another page
constexpr std::size_t kRecurringPages = 3;

using Place = std::tuple<std::string, long, long>;

Place place_of(const pdf::Word& w, long dx = 0, long dy = 0) {
  return {w.text, std::lround(w.x0) + dx, std::lround(w.y0) + dy};
}

bool has_alnum(const std::string& s) {
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c >= 0x80) return true;
  }
  return false;
}

}  // namespace

std::vector<int> wording_counts(const std::vector<pdf::PageText>& pages) {
  std::map<Place, std::set<int>> where;
  for (const auto& page : pages) {
    for (const auto& w : page.words) where[place_of(w)].insert(page.page_number);
  }
  auto recurring = [&](const pdf::Word& w) {
    std::set<int> seen;
    for (long dx = -kSamePlace; dx <= kSamePlace; ++dx) {
      for (long dy = -kSamePlace; dy <= kSamePlace; ++dy) {
        auto it = where.find(place_of(w, dx, dy));
        if (it != where.end()) seen.insert(it->second.begin(), it->second.end());
      }
    }
    return seen.size() >= kRecurringPages;
  };
  std::vector<int> counts;
  counts.reserve(pages.size());
  for (const auto& page : pages) {
    int n = 0;
    for (const auto& w : page.words) {
      if (!has_alnum(w.text)) continue;
      if (page.height > 0 && (w.y1 < kMarginBand * page.height || w.y0 > (1 - kMarginBand) * page.height)) continue;
      if (recurring(w)) continue;
      ++n;
    }
    counts.push_back(n);
  }
  return counts;
}

std::vector<PageWording> pages_without_questions(const std::vector<pdf::PageText>& pages,
                                                 const std::set<int>& question_pages) {
  std::vector<PageWording> out;
  if (question_pages.empty()) return out;
  const int first = *question_pages.begin(), last = *question_pages.rbegin();
  const auto counts = wording_counts(pages);
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const int p = pages[i].page_number;
    if (p > first && p < last && !question_pages.contains(p) && counts[i] >= kSubstantialWords) {
      out.push_back({p, counts[i]});
    }
  }
  return out;
}

}  // namespace examq::extract
