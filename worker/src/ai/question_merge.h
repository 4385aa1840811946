#pragma once
// Joins the answers of overlapping batches into one list of rows for the paper.

#include <vector>

#include "ai/ai_result.h"

namespace examq::ai {

// `batches` holds each batch's questions, in batch order. A row is identified by (number,
// page_number): the page two batches share is read by both, so its rows arrive twice, and the
// first batch may have seen a question cut off at its last page that the next batch saw whole.
// For such a pair one row is kept, at the place it first appeared, with
//  - the longer text (the more complete reading),
//  - the marks of that reading, or the other's when it has none,
//  - the parent_number of that reading, or the other's when it has none,
//  - the topic ids of both (first reading's first).
// Positions are then set to 1..n in that order.
std::vector<AiQuestion> merge_batches(std::vector<std::vector<AiQuestion>> batches);

}  // namespace examq::ai
