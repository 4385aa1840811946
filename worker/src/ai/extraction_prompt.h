#pragma once
// What the model is asked, independent of the provider's wire format: the instructions (the same
// for every batch of a job, sent first so providers can cache them as a prefix), the label before
// each page image, the closing request, and the JSON schema its answer must follow.
//
// The answer is {"questions": [{"number", "parent_number", "text", "marks", "page_number"
// [, "topic_refs"]}]}. Topics are offered as short references ("T1", "T2", ...) rather than
// uuids: fewer tokens per request and nothing for the model to mistype; answer_parser.h maps
// them back.

#include <string>
#include <vector>

#include <tao/json/value.hpp>

#include "ai/ai_input.h"

namespace examq::ai {

struct ExtractionPrompt {
  // The system prompt: stable_instructions + job_instructions, byte for byte.
  std::string instructions;
  // The rules, label conventions and worked examples: the same bytes for every request of every
  // job (the prefix the providers' prompt caches match; see prompt_cache_min_tokens).
  std::string stable_instructions;
  // What only this job's requests share: the topic list ("" without topics).
  std::string job_instructions;
  tao::json::value schema;      // JSON Schema of the answer; strict-mode compatible (every
                                // property required, additionalProperties false, no bounds)
  bool with_topics = false;     // the schema asks for topic_refs
};

// with_examples false leaves out the label conventions and worked examples (about 800 tokens),
// for a local server whose context is counted (EXAMQ_AI_CONTEXT_TOKENS) and has no prompt cache
// minimum to reach.
ExtractionPrompt make_extraction_prompt(const std::vector<Topic>& topics, bool with_examples = true);

// The text block sent before each page image: "Page 8".
std::string page_label(int page_number);

// The text after the images: which pages these are and what to do with them. A batch after the
// first is told how to label a part printed without its question number at the top of its first
// page: with `previous_label` (the last question label printed before that page, "5(b)"), when
// the previous batch has already answered, the model can give it its full number ("5(c)");
// otherwise it gives the label as printed ("(c)") and question_merge.h resolves it.
std::string batch_request_text(int first_page_number, int last_page_number, bool first_batch, bool last_batch,
                               const std::string& previous_label = "");

// "T1" for topics[0], ...
std::string topic_ref(std::size_t index);

}  // namespace examq::ai
