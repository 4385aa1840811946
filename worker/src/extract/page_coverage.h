#pragma once
// Pages that have wording but gave no question row, where questions would be expected: after the
// first question's page and before the last question's page. Covers, instructions and formula
// sheets before the first question, and blank or reference pages after the last one, are normal
// and never counted.
//
// "Wording" is kept simple and independent of the extractor: a page counts when it has at least
// kSubstantialWords words that are not furniture. Furniture here is
//  - a word without a letter or digit (dot leaders, rules, bullets);
//  - a word in the top or bottom 6% of the page (running headers, footers, page numbers);
//  - a word printed with the same text at the same place (within 2 pt) on at least 3 pages
//    (margin notices such as "DO NOT WRITE IN THIS AREA", repeated headers and barcodes' captions).
// A page that carries only the continuation of a long question (code, a source text) without any
// new label is counted too; paper_review.h therefore skips this check when the marks read add up
// to the paper's stated total, which proves no marked question is missing.

#include <set>
#include <vector>

#include "pdf/page_text.h"

namespace examq::extract {

inline constexpr int kSubstantialWords = 30;

// For each page of `pages` (same order), how many of its words are wording, not furniture.
std::vector<int> wording_counts(const std::vector<pdf::PageText>& pages);

struct PageWording {
  int page_number = 0;
  int words = 0;  // words of wording (not furniture)
};

// Pages strictly between the first and last of `question_pages` that are not in it and have at
// least kSubstantialWords words of wording, in page order. Empty when there are no question pages.
std::vector<PageWording> pages_without_questions(const std::vector<pdf::PageText>& pages,
                                                 const std::set<int>& question_pages);

}  // namespace examq::extract
