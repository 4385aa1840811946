#pragma once
// What an AI extraction returns: the questions, tagged with topics, and what it cost.

#include <cstdint>
#include <string>
#include <vector>

#include <tao/json/value.hpp>

#include "extract/question.h"

namespace examq::ai {

struct AiQuestion {
  extract::Question question;       // source "ai"; position 1..n in paper order
  std::vector<std::string> topic_ids;  // ids of the Topic values passed in, no duplicates
};

// Counted over one extract() call. Tokens are summed over every answer the provider billed,
// including answers that were rejected (truncated, malformed) and retried.
struct AiUsage {
  std::string provider;           // "openai" / "anthropic"
  std::string model;
  int pages = 0;
  int batches = 0;                // requests the pages were split into
  int cached_batches = 0;         // batches answered from this worker's answer cache (no request)
  int requests = 0;               // HTTP requests sent, retries included
  int retries = 0;                // requests that repeated an earlier one
  std::int64_t input_tokens = 0;  // Anthropic: input + cache creation + cache read tokens
  std::int64_t output_tokens = 0;
  std::int64_t latency_ms = 0;    // wall time of the whole extract() call
};

// {"provider":..., "model":..., "pages":..., "batches":..., "cached_batches":..., "requests":...,
//  "retries":..., "input_tokens":..., "output_tokens":..., "latency_ms":...}, for the job's result.
tao::json::value to_json(const AiUsage& usage);

struct AiResult {
  std::vector<AiQuestion> questions;  // paper order, merged across batches
  AiUsage usage;
};

// The questions as replace_exam_paper_questions() takes them: an array, in order, of
// {"question_number", "parent_number", "text", "marks" (number or null), "page_number",
//  "source", "topic_ids"}.
tao::json::value questions_to_json(const std::vector<AiQuestion>& questions);

}  // namespace examq::ai
