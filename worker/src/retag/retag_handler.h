#pragma once
// The `retag-questions` job type (docs/retag.md): re-tags an exam paper's questions with the
// topics of a syllabus. sql/0014's examq_retag_exam_paper enqueues it with the payload
// {exam_paper_id, syllabus_id}; the handler reads the questions and topics with plain SELECTs,
// tags them with the configured AI provider (retag/ai_tagger.h) or the embedded TopicMatcher
// (EXAMQ_RETAG_METHOD), and writes every question's tags in one call of
// examq_save_question_topics, fenced by its attempt, in the completion's transaction.

#include <memory>

#include "ai/text_client.h"
#include "handlers/handler.h"
#include "handlers/registry.h"
#include "retag/topic_matcher.h"

namespace examq::retag {

// EXAMQ_RETAG_METHOD: auto (default: ai when an AI extractor is configured, else embedded),
// embedded, or ai (refused at start when no AI extractor is configured).
enum class RetagMethod { automatic, embedded, ai };
// Reads EXAMQ_RETAG_METHOD; std::invalid_argument for another value.
RetagMethod retag_method_from_env();

class RetagHandler : public handlers::Handler {
 public:
  // `ai` null: the embedded matcher only.
  explicit RetagHandler(MatchOptions options, std::shared_ptr<const ai::TextClient> ai = nullptr)
      : options_(options), ai_(std::move(ai)) {}
  handlers::JobOutcome run(handlers::JobContext& ctx) override;

 private:
  MatchOptions options_;
  std::shared_ptr<const ai::TextClient> ai_;
};

// The steps, in order (the completion sets the fifth, "Completed").
inline constexpr std::string_view kLoadingQuestions = "Loading questions";
inline constexpr std::string_view kLoadingSyllabus = "Loading syllabus";
inline constexpr std::string_view kMatchingTopics = "Matching topics";
inline constexpr std::string_view kSavingTags = "Saving tags";

// Reads EXAMQ_RETAG_* and the AI configuration (throws std::invalid_argument for a malformed one, whether or not this
// worker runs retag jobs) and registers the handler, or only the type's name when `run` is false.
void register_retag_handlers(handlers::Registry& registry, bool run);

}  // namespace examq::retag
