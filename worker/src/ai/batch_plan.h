#pragma once
// How a paper's pages are split into requests. Consecutive batches share one page (the last page
// of a batch is the first of the next) so a question that starts near the end of a batch is seen
// whole by the next one; question_merge.h then keeps one copy of it.

#include <vector>

namespace examq::ai {

struct Batch {
  int index = 0;  // 0-based order
  int first = 0;  // index into the pages vector, inclusive
  int last = 0;   // inclusive
};

// Batches of at most pages_per_request pages covering [0, page_count), each overlapping the
// previous by one page (stride pages_per_request - 1). pages_per_request 1 means no overlap.
// No batch is only the overlap page: 9 pages in batches of 8 give [0..7] and [7..8].
// Empty for page_count 0. pages_per_request must be >= 1.
std::vector<Batch> plan_batches(int page_count, int pages_per_request);

}  // namespace examq::ai
