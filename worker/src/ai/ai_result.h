#pragma once
// What an AI extraction returns: the questions, tagged with topics, and what it cost.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tao/json/value.hpp>

#include "extract/question.h"

namespace examq::ai {

struct AiQuestion {
  extract::Question question;       // source "ai"; position 1..n in paper order
  std::vector<std::string> topic_ids;  // ids of the Topic values passed in, no duplicates
};

// A row of an answer that stayed invalid after repair (answer_parser.h): left out and recorded.
struct DroppedRow {
  std::string number;       // as the model gave it ("" when it gave none usable)
  std::optional<int> page;  // the row's page when it gave a number, even one outside the batch
  std::string reason;       // "question 3: marks must be a non-negative integer or null, got -2"
};

// At most this many dropped rows are listed in AiUsage::dropped_rows (all are counted).
inline constexpr std::size_t kMaxDroppedRowsListed = 20;

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
  std::int64_t cache_write_tokens = 0;  // of input_tokens: written to the provider's prompt cache (Anthropic)
  std::int64_t cache_read_tokens = 0;   // of input_tokens: read from it (Anthropic; OpenAI's cached_tokens)
  std::int64_t warmup_ms = 0;     // how long the other requests waited for the first to warm the
                                  // prompt cache (EXAMQ_AI_CACHE_WARMUP); 0 when there was no warm-up
  std::int64_t latency_ms = 0;    // wall time of the whole extract() call
  int rows_repaired = 0;          // rows kept after a coercion ("2 marks" -> 2, a JSON-string answer)
  int reasked_batches = 0;        // batches asked again for the pages of their dropped rows
  int rows_dropped = 0;           // rows left out because they stayed invalid after the re-ask
  std::vector<DroppedRow> dropped_rows;  // the first kMaxDroppedRowsListed of them
  int images_downscaled = 0;      // pages shrunk to the provider's limits before sending (provider_limits.h)
  int batches_split = 0;          // batches split in two because their images passed a request limit
};

// {"provider":..., "model":..., "pages":..., "batches":..., "cached_batches":..., "requests":...,
//  "retries":..., "input_tokens":..., "output_tokens":..., "cache_write_tokens":...,
//  "cache_read_tokens":..., "warmup_ms":..., "latency_ms":..., "rows_repaired":...,
//  "reasked_batches":..., "rows_dropped":..., "dropped_rows": [{"number", "page" (or null),
//  "reason"}...], "images_downscaled":..., "batches_split":...}, for the job's result.
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
