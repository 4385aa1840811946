#pragma once
// Turns a model's answer for one batch of pages into questions, or says why it is unusable.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <tao/json/value.hpp>

#include "ai/ai_input.h"
#include "ai/ai_result.h"

namespace examq::ai {

// The answer broke the contract; what() names the row and the field ("question 3: marks must be
// a non-negative integer, got -2").
class InvalidAnswer : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An answer read row by row.
struct ParsedAnswer {
  std::vector<AiQuestion> questions;  // the valid rows, in the answer's order
  std::vector<bool> repaired;         // per question: it needed a coercion (see parse_answer_rows)
  std::vector<DroppedRow> dropped;    // rows that stayed invalid, in the answer's order
};

// Reads `answer` (the object the schema in extraction_prompt.h describes) row by row:
//  - "questions" is an array (throws InvalidAnswer when the answer has none: nothing to keep);
//  - number is a non-empty string (trimmed, at most 64 characters);
//  - parent_number is a string, null or absent ("" then);
//  - text is a string (trimmed);
//  - marks is null, absent, or a non-negative integer up to 10000 (2.0 is accepted as 2);
//  - page_number is an integer and one of `batch_page_numbers`.
// What is unambiguous is coerced and flagged in `repaired`: the whole answer, or its
// "questions", given as a JSON string (Anthropic's tool input, now and then); marks as "2",
// "2 marks", "[2]", "(2 marks)" or "" (null); page_number as "3" or "page 3"; number and
// parent_number given as whole numbers. A row still invalid is dropped and recorded.
// topic_refs ("T1"... from extraction_prompt.h, or a topic's id) become topic ids of `topics`;
// references to no topic are dropped, not fatal (a tag is a hint, the row is still right).
// The questions keep the answer's order, with source "ai" and position 0 (set after merging).
ParsedAnswer parse_answer_rows(const tao::json::value& answer, const std::vector<int>& batch_page_numbers,
                               const std::vector<Topic>& topics);

// parse_answer_rows, strictly: throws InvalidAnswer naming the first dropped row ("question 3:
// marks must be a non-negative integer, got -2").
std::vector<AiQuestion> parse_answer(const tao::json::value& answer, const std::vector<int>& batch_page_numbers,
                                     const std::vector<Topic>& topics);

// Parses the model's text as JSON, tolerating a Markdown code fence around it (some compatible
// servers add one). Throws InvalidAnswer when it is not JSON.
tao::json::value parse_answer_text(std::string_view text);

}  // namespace examq::ai
