#pragma once
// The `retag-questions` job type (docs/retag.md): re-tags an exam paper's questions with the
// topics of a syllabus. sql/0014's examq_retag_exam_paper enqueues it with the payload
// {exam_paper_id, syllabus_id}; the handler reads the questions and topics with plain SELECTs,
// matches them with the embedded TopicMatcher, and writes every question's tags in one call of
// examq_save_question_topics, fenced by its attempt, in the completion's transaction.

#include "handlers/handler.h"
#include "handlers/registry.h"
#include "retag/topic_matcher.h"

namespace examq::retag {

class RetagHandler : public handlers::Handler {
 public:
  explicit RetagHandler(MatchOptions options) : options_(options) {}
  handlers::JobOutcome run(handlers::JobContext& ctx) override;

 private:
  MatchOptions options_;
};

// The steps, in order (the completion sets the fifth, "Completed").
inline constexpr std::string_view kLoadingQuestions = "Loading questions";
inline constexpr std::string_view kLoadingSyllabus = "Loading syllabus";
inline constexpr std::string_view kMatchingTopics = "Matching topics";
inline constexpr std::string_view kSavingTags = "Saving tags";

// Reads EXAMQ_RETAG_* (throws std::invalid_argument for a malformed one, whether or not this
// worker runs retag jobs) and registers the handler, or only the type's name when `run` is false.
void register_retag_handlers(handlers::Registry& registry, bool run);

}  // namespace examq::retag
