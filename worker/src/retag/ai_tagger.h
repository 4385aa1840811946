#pragma once
// The AI method of the retag-questions job (docs/retag.md): the paper's question numbers and
// texts and the syllabus's leaf topics, as short references T1, T2... (code, title, description
// and the parent topics' titles: never a database id, never the paper's title), go to the
// configured provider as text-only requests of at most kQuestionsPerRequest questions; the answer
// is forced into {"questions": [{"number", "topics": [ref...]}]}. Reading an answer drops unknown
// references and keeps at most max_topics; a question the answer misses, names twice or garbles
// gets no AI tags (nullopt) and the handler falls back to the embedded matcher for it.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <tao/json/value.hpp>

#include "retag/topic_matcher.h"

namespace examq::retag {

inline constexpr std::size_t kQuestionsPerRequest = 60;

// The system prompt (the same for every request, so providers can cache it).
std::string ai_instructions(int max_topics);
// The JSON schema the answer is forced into.
const tao::json::value& ai_answer_schema();
// One request's user message: every leaf topic (T<n> for leaves[n-1]) and questions[first, last).
std::string ai_request_text(const std::vector<Topic>& topics, const std::vector<std::size_t>& leaves,
                            const std::vector<Question>& questions, std::size_t first, std::size_t last);

// Reads the answer to the request for questions[first, last) into out[first, last): the topics
// (indices into `topics`, best first as the model gave them, unknown references dropped, at most
// max_topics), or nullopt for a question the answer misses, names more than once or garbles
// (topics not a list of strings, or only unknown references). `answer` may be anything.
void read_ai_answer(const tao::json::value& answer, const std::vector<Question>& questions, std::size_t first,
                    std::size_t last, const std::vector<std::size_t>& leaves, int max_topics,
                    std::vector<std::optional<std::vector<std::size_t>>>& out);

}  // namespace examq::retag
