#include "extract/reading_order.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "extract/marks_parser.h"
#include "extract/question_numbering.h"

namespace examq::extract {

namespace {

constexpr double kMinGutter = 10.0;      // points
constexpr double kMaxCrossShare = 0.15;  // of content lines
constexpr double kAligned = 2.0;         // points: lines starting "at the same x"
constexpr int kMinColumnLines = 3;
constexpr double kWidestPage = 20000;    // points: PDF's largest page is 14400 (200 inches)

// The words that show where a line's content lies: everything but a trailing marks label, which
// is right-aligned on one-column pages and would fake a right column.
std::vector<pdf::Word> content_words(const Line& line) {
  std::vector<pdf::Word> words = line.words;
  if (auto marks = parse_trailing_marks(words)) words.resize(words.size() - marks->word_count);
  return words;
}

bool overlaps(const pdf::Word& w, const Gutter& g) { return w.x1 > g.x0 + 0.5 && w.x0 < g.x1 - 0.5; }

enum class Side { none, crossing, left, right, both };

Side side_of(const std::vector<pdf::Word>& words, const Gutter& g) {
  bool left = false, right = false;
  for (const auto& w : words) {
    if (overlaps(w, g)) return Side::crossing;
    if (w.x1 <= g.x0 + 0.5) left = true;
    else right = true;
  }
  if (left && right) return Side::both;
  if (left) return Side::left;
  if (right) return Side::right;
  return Side::none;
}

}  // namespace

std::optional<Gutter> find_gutter(const PageLines& page) {
  // The coverage histogram has a slot per point of width: refuse absurd (hostile) widths.
  if (!(page.width > 0) || page.width > kWidestPage) return std::nullopt;
  std::vector<std::vector<pdf::Word>> lines;
  for (const auto& line : page.lines) {
    auto words = content_words(line);
    if (!words.empty()) lines.push_back(std::move(words));
  }
  if (lines.size() < 2 * kMinColumnLines) return std::nullopt;

  // How many lines put ink on each 1-pt slice of the page width: each line's words are merged
  // into spans (so a line counts once per slice) and added as +1/-1 steps.
  const int width = static_cast<int>(std::ceil(page.width));
  std::vector<int> step(static_cast<std::size_t>(width) + 2, 0);
  for (const auto& words : lines) {
    std::vector<std::pair<int, int>> spans;
    for (const auto& w : words)
      spans.emplace_back(std::clamp(static_cast<int>(std::floor(w.x0)), 0, width),
                         std::clamp(static_cast<int>(std::ceil(w.x1)), 0, width));
    std::sort(spans.begin(), spans.end());
    int start = -1, end = -1;
    for (const auto& [a, b] : spans) {
      if (a > end) {
        if (start >= 0 && end > start) {
          ++step[static_cast<std::size_t>(start)];
          --step[static_cast<std::size_t>(end)];
        }
        start = a;
        end = b;
      } else {
        end = std::max(end, b);
      }
    }
    if (start >= 0 && end > start) {
      ++step[static_cast<std::size_t>(start)];
      --step[static_cast<std::size_t>(end)];
    }
  }
  std::vector<int> cover(static_cast<std::size_t>(width) + 1, 0);
  int running = 0;
  for (std::size_t x = 0; x < cover.size(); ++x) {
    running += step[x];
    cover[x] = running;
  }

  // The gutter is the widest band crossed by the fewest lines: raise the allowance one line at a
  // time, so a band that a few wide lines cross can still be a gutter but never grows into the
  // columns' own ink.
  const int max_cross = static_cast<int>(kMaxCrossShare * static_cast<double>(lines.size()));
  const int lo = static_cast<int>(page.width * 0.3), hi = static_cast<int>(page.width * 0.7);
  std::optional<Gutter> best;
  for (int allowed = 0; allowed <= max_cross && !best; ++allowed) {
    for (int x = lo; x <= hi;) {
      if (cover[static_cast<std::size_t>(x)] > allowed) {
        ++x;
        continue;
      }
      int end = x;
      while (end + 1 <= hi && cover[static_cast<std::size_t>(end + 1)] <= allowed) ++end;
      const Gutter g{static_cast<double>(x), static_cast<double>(end + 1)};
      if (g.x1 - g.x0 >= kMinGutter && (!best || g.x1 - g.x0 > best->x1 - best->x0)) best = g;
      x = end + 1;
    }
  }
  if (!best) return std::nullopt;

  int left_lines = 0, right_lines = 0;
  std::vector<double> right_starts;
  for (const auto& words : lines) {
    const Side s = side_of(words, *best);
    if (s == Side::left || s == Side::both) ++left_lines;
    if (s == Side::right || s == Side::both) {
      ++right_lines;
      for (const auto& w : words)
        if (w.x0 >= best->x1 - 0.5) {
          right_starts.push_back(w.x0);
          break;
        }
    }
  }
  if (left_lines < kMinColumnLines || right_lines < kMinColumnLines) return std::nullopt;
  int most_aligned = 0;
  for (double a : right_starts) {
    const auto n = std::count_if(right_starts.begin(), right_starts.end(),
                                 [a](double b) { return std::abs(a - b) <= kAligned; });
    most_aligned = std::max(most_aligned, static_cast<int>(n));
  }
  if (most_aligned < kMinColumnLines) return std::nullopt;
  return best;
}

std::vector<Region> reading_order(const PageLines& page) {
  std::vector<Region> regions;
  if (page.lines.empty()) return regions;
  const auto gutter = find_gutter(page);
  if (!gutter) {
    regions.push_back(Region{page.page_number, Region::Kind::full_width, page.lines, 0});
    regions.back().scanned = page.scanned;
    return regions;
  }
  const double middle = (gutter->x0 + gutter->x1) / 2;
  Region left{page.page_number, Region::Kind::left_column, {}, 0};
  Region right{page.page_number, Region::Kind::right_column, {}, 0};
  auto flush_columns = [&] {
    if (!left.lines.empty()) regions.push_back(std::move(left));
    if (!right.lines.empty()) regions.push_back(std::move(right));
    left = Region{page.page_number, Region::Kind::left_column, {}, 0};
    right = Region{page.page_number, Region::Kind::right_column, {}, 0};
  };
  for (const auto& line : page.lines) {
    if (side_of(content_words(line), *gutter) == Side::crossing) {
      flush_columns();
      if (regions.empty() || regions.back().kind != Region::Kind::full_width)
        regions.push_back(Region{page.page_number, Region::Kind::full_width, {}, 0});
      regions.back().lines.push_back(line);
      continue;
    }
    Line l{line.page_number, {}, 0, 0, 0, 0}, r{line.page_number, {}, 0, 0, 0, 0};
    for (const auto& w : line.words) ((w.x0 + w.x1) / 2 < middle ? l : r).words.push_back(w);
    if (!l.words.empty()) {
      l.update_box();
      left.lines.push_back(std::move(l));
    }
    if (!r.words.empty()) {
      r.update_box();
      right.lines.push_back(std::move(r));
    }
  }
  flush_columns();
  for (auto& r : regions) r.scanned = page.scanned;
  return regions;
}

namespace {

// The question number a line starts with, or 0. A number alone on its line is not counted: that
// is a table's column of numbers (a cover page's "For Examiner's Use" grid) far more often than
// a question.
struct NumberedLine {
  double x = 0;
  int value = 0;
  NumberStyle style = NumberStyle::bare;
  int page = 0;
  double y0 = 0, y1 = 0;
};

std::optional<NumberedLine> leading_question_number(const Line& line) {
  const auto labels = parse_line_labels(line.words, false);
  if (labels.tokens.empty() || labels.tokens.front().kind != LabelToken::Kind::question) return std::nullopt;
  if (std::isinf(labels.gap_after_question) && labels.tokens.size() == 1) return std::nullopt;
  return NumberedLine{line.x0, labels.tokens.front().value, labels.tokens.front().style, line.page_number, line.y0,
                      line.y1};
}

// How far a question number may stand left or right of the column's x and still be in it: as
// far as the segmenter accepts (right-aligned "10" a digit left of "9"; "Q1." a little right of
// "Q10.").
constexpr double kColumnLeft = 14.0, kColumnRight = 8.0;

struct QuestionColumn {
  double x = 0;
  NumberStyle style = NumberStyle::bare;
};

// Of the x positions where numbered lines start, the one where the paper prints its question
// numbers: numbers there, read in order and in one style, run 1, 2, 3... A cover page's vertical
// barcode digits, numbered answer lines or a program's line numbers ("01", "02", ... "14") also
// start lines with numbers, but not in that sequence or not in one style. A table's first column
// may run in sequence too, even longer than the questions ("1 Alpha" ... "13 Mike"), but on one
// page, and a program listing numbers adjacent lines: both are set aside when anything else
// runs. Of the rest the longest run wins (the leftmost of equals), one missing number allowed.
// Numbers named as questions ("Problem 1", "Q2") win over bare ones when they run to 2 or more
// (bare "1." "2." then number a problem's parts, or a listing's lines). The column's x is the
// median of its numbers'. Nothing when no x holds at least `min_run` numbers in sequence.
std::optional<QuestionColumn> question_column(const std::vector<NumberedLine>& lines, int min_run) {
  struct Run {
    double x;
    NumberStyle style;
    int length;
    bool listing;
    bool pages;  // spans more than one page
  };
  std::vector<Run> runs;
  for (const auto& candidate : lines) {
    int expected = 1, adjacent = 0, first_page = -1, length = 0;
    bool several_pages = false;
    const NumberedLine* previous = nullptr;
    std::vector<double> xs;
    for (const auto& l : lines) {
      // One number may be missing (a scan lost "1"), so the next-but-one counts too.
      if (l.x < candidate.x - kColumnLeft || l.x > candidate.x + kColumnRight || l.style != candidate.style ||
          (l.value != expected && l.value != expected + 1))
        continue;
      if (previous && previous->page == l.page && l.y0 - previous->y1 < 0.8 * (previous->y1 - previous->y0))
        ++adjacent;
      previous = &l;
      if (first_page < 0) first_page = l.page;
      several_pages = several_pages || l.page != first_page;
      expected = l.value + 1;
      ++length;
      xs.push_back(l.x);
    }
    if (xs.empty()) continue;
    // The column stands where most of its numbers do, not where this candidate happens to.
    std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(xs.size() / 2), xs.end());
    const double x = xs[xs.size() / 2];
    runs.push_back({x, candidate.style, length, length >= 3 && 2 * adjacent > length - 1, several_pages});
  }
  // A table's numbered rows stay on one page; a paper's questions, when it has several pages of
  // them, do not. So when some run crosses pages, runs of 3 or more confined to a page are tables.
  const bool multi_page = std::any_of(runs.begin(), runs.end(),
                                      [](const Run& r) { return r.pages && r.length >= 2 && !r.listing; });
  for (auto& r : runs)
    if (multi_page && !r.pages && r.length >= 3) r.listing = true;
  // A program listing numbers every line ("1 var x;" "2 var y;"): numbers on adjacent lines,
  // most of the run. Questions have wording between them. Listings (and tables, below) count
  // only when nothing else runs.
  const bool questions_elsewhere =
      std::any_of(runs.begin(), runs.end(), [&](const Run& r) { return !r.listing && r.length >= min_run; });
  int longest = 0, longest_prefixed = 0;
  for (const auto& r : runs) {
    if (questions_elsewhere && r.listing) continue;
    longest = std::max(longest, r.length);
    if (r.style == NumberStyle::prefixed) longest_prefixed = std::max(longest_prefixed, r.length);
  }
  if (longest < min_run) return std::nullopt;
  // Numbers a paper names as questions ("Q1", "Problem 2") are its questions when there are at
  // least two of them in sequence, wherever a list of bare numbers stands.
  const bool prefixed = longest_prefixed >= 2;
  std::optional<Run> best;
  for (const auto& r : runs) {
    if ((prefixed && r.style != NumberStyle::prefixed) || (questions_elsewhere && r.listing)) continue;
    if (r.length < min_run) continue;
    if (!best || r.length > best->length || (r.length == best->length && r.x < best->x)) best = r;
  }
  return QuestionColumn{best->x, best->style};
}

double leftmost_line(const std::vector<const Region*>& regions) {
  double x = std::numeric_limits<double>::max();
  for (const auto* r : regions)
    for (const auto& line : r->lines) x = std::min(x, line.x0);
  return x == std::numeric_limits<double>::max() ? 0 : x;
}

}  // namespace

void assign_margins(std::vector<Region>& regions) {
  std::vector<NumberedLine> numbered;
  std::vector<const Region*> main_regions;
  for (const auto& r : regions) {
    if (r.kind == Region::Kind::right_column) continue;
    main_regions.push_back(&r);
    for (const auto& line : r.lines)
      if (auto n = leading_question_number(line)) numbered.push_back(*n);
  }
  const auto column = question_column(numbered, 1);
  const double main_margin = column ? column->x : leftmost_line(main_regions);
  for (auto& r : regions)
    if (column) r.numbering = column->style;

  for (auto& r : regions) {
    if (r.kind != Region::Kind::right_column) {
      r.margin = main_margin;
      continue;
    }
    double x = std::numeric_limits<double>::max();
    for (const auto& line : r.lines)
      if (leading_question_number(line)) x = std::min(x, line.x0);
    r.margin = x == std::numeric_limits<double>::max() ? leftmost_line({&r}) : x;
  }
}

}  // namespace examq::extract
