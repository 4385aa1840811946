#pragma once
// Puts a page's body lines into reading order. Most pages are one column, read top to bottom; a
// multiple-choice page set in two columns must be read down the left column, then down the right,
// or question 5 (top right) would interleave with question 1 (top left).

#include <optional>
#include <vector>

#include "extract/line.h"
#include "extract/page_furniture.h"
#include "extract/question_numbering.h"

namespace examq::extract {

// A run of lines read in order, with the x where question numbers stand in it.
struct Region {
  enum class Kind { full_width, left_column, right_column };
  int page_number = 0;
  Kind kind = Kind::full_width;
  std::vector<Line> lines;  // top to bottom
  double margin = 0;        // set by assign_margins
  // The paper's question-number style, as assign_margins found it ("Problem 1" over "1."): the
  // same for every region of a paper; empty when no number runs in sequence.
  std::optional<NumberStyle> numbering;
  bool scanned = false;  // its page was read by OCR (PageLines::scanned)
};

// The empty vertical band between two columns, in points.
struct Gutter {
  double x0 = 0, x1 = 0;
};

// Finds the gutter of a two-column page, or nothing for a one-column page. A gutter is the widest
// band at least 10 pt wide in the middle 40% of the page crossed by the fewest lines, at most 15%
// of them (a full-width heading or instruction may cross it), with at least three lines of content
// on each side, at least three of the right-hand ones starting at a common x (a column's left
// edge). Trailing marks labels are ignored when looking for it: right-aligned, they would fake a
// right column on a one-column page. Pages wider than 20,000 pt have no gutter.
std::optional<Gutter> find_gutter(const PageLines& page);

// Splits the page into regions in reading order: consecutive lines that cross the gutter form a
// full-width region; between them, the left-column lines come before the right-column lines.
// A one-column page gives a single full-width region (none when the page has no lines).
std::vector<Region> reading_order(const PageLines& page);

// Sets each region's margin: over all full-width and left-column regions of the paper, the x
// where line-starting question numbers run longest in sequence (1, 2, 3... in reading order; see
// question_column in the .cc); for a right column, the leftmost line-starting number in it; when
// there are none, the leftmost line.
void assign_margins(std::vector<Region>& regions);

}  // namespace examq::extract
