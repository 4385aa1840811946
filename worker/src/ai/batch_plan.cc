#include "ai/batch_plan.h"

#include <algorithm>
#include <stdexcept>

namespace examq::ai {

std::vector<Batch> plan_batches(int page_count, int pages_per_request) {
  if (pages_per_request < 1) throw std::invalid_argument("pages_per_request must be at least 1");
  std::vector<Batch> batches;
  const int stride = pages_per_request == 1 ? 1 : pages_per_request - 1;
  for (int first = 0; first < page_count; first += stride) {
    int last = std::min(page_count - 1, first + pages_per_request - 1);
    batches.push_back(Batch{static_cast<int>(batches.size()), first, last});
    if (last == page_count - 1) break;
  }
  return batches;
}

}  // namespace examq::ai
