#include "retag/ai_tagger.h"

#include <algorithm>
#include <map>

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

namespace examq::retag {

std::string ai_instructions(int max_topics) {
  return "You tag exam questions with the syllabus topics they assess. You are given the syllabus's topics, each "
         "with a reference (T1, T2, ...), and the questions of one exam paper, one JSON object per line with the "
         "question's number as printed and its text; a part such as 3(a)(ii) belongs to question 3(a), which "
         "belongs to 3. For every question given, answer with its number exactly as given and the references of "
         "the topics it assesses, best first, at most " +
         std::to_string(max_topics) +
         ", and an empty list when no topic fits (instructions, cover pages). Use only the references given.";
}

const tao::json::value& ai_answer_schema() {
  static const tao::json::value schema = tao::json::from_string(R"({
    "type": "object",
    "properties": {
      "questions": {
        "type": "array",
        "items": {
          "type": "object",
          "properties": {
            "number": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}}
          },
          "required": ["number", "topics"],
          "additionalProperties": false
        }
      }
    },
    "required": ["questions"],
    "additionalProperties": false
  })");
  return schema;
}

std::string ai_request_text(const std::vector<Topic>& topics, const std::vector<std::size_t>& leaves,
                            const std::vector<Question>& questions, std::size_t first, std::size_t last) {
  std::map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < topics.size(); ++i) by_id[topics[i].id] = i;
  std::string text = "Topics:\n";
  for (std::size_t n = 0; n < leaves.size(); ++n) {
    const Topic& t = topics[leaves[n]];
    text += "T" + std::to_string(n + 1) + ":";
    if (!t.code.empty()) text += " " + t.code;
    text += " " + t.title;
    if (!t.description.empty()) text += " - " + t.description;
    // The parents' titles, nearest first: the section a leaf belongs to often tells it apart.
    std::string parent = t.parent_id;
    std::string under;
    for (int depth = 0; !parent.empty() && depth < 8; ++depth) {
      auto it = by_id.find(parent);
      if (it == by_id.end()) break;
      under += (under.empty() ? "" : " / ") + topics[it->second].title;
      parent = topics[it->second].parent_id;
    }
    if (!under.empty()) text += " (in: " + under + ")";
    text += "\n";
  }
  text += "\nQuestions:\n";
  for (std::size_t i = first; i < last; ++i) {
    text += tao::json::to_string(tao::json::value{{"number", questions[i].number}, {"text", questions[i].text}});
    text += "\n";
  }
  return text;
}

void read_ai_answer(const tao::json::value& answer, const std::vector<Question>& questions, std::size_t first,
                    std::size_t last, const std::vector<std::size_t>& leaves, int max_topics,
                    std::vector<std::optional<std::vector<std::size_t>>>& out) {
  for (std::size_t i = first; i < last; ++i) out[i].reset();
  const tao::json::value* rows = answer.is_object() ? answer.find("questions") : nullptr;
  if (rows == nullptr || !rows->is_array()) return;
  std::map<std::string, std::size_t> by_number;
  for (std::size_t i = first; i < last; ++i) by_number.emplace(questions[i].number, i);
  std::map<std::size_t, int> seen;
  std::map<std::size_t, std::optional<std::vector<std::size_t>>> read;
  for (const tao::json::value& row : rows->get_array()) {
    const tao::json::value* number = row.is_object() ? row.find("number") : nullptr;
    if (number == nullptr || !number->is_string_type()) continue;
    auto q = by_number.find(std::string(number->get_string_type()));
    if (q == by_number.end()) continue;
    ++seen[q->second];
    const tao::json::value* refs = row.find("topics");
    if (refs == nullptr || !refs->is_array()) {
      read[q->second] = std::nullopt;
      continue;
    }
    std::vector<std::size_t> picked;
    bool garbled = false;
    bool any_unknown = false;
    for (const tao::json::value& ref : refs->get_array()) {
      if (!ref.is_string_type()) {
        garbled = true;
        break;
      }
      const std::string_view s = ref.get_string_type();
      std::size_t n = 0;
      bool ok = s.size() >= 2 && s.size() <= 7 && (s[0] == 'T' || s[0] == 't');
      for (std::size_t k = 1; ok && k < s.size(); ++k) {
        if (s[k] < '0' || s[k] > '9') ok = false;
        n = n * 10 + static_cast<std::size_t>(s[k] - '0');
      }
      if (!ok || n < 1 || n > leaves.size()) {
        any_unknown = true;
        continue;
      }
      const std::size_t topic = leaves[n - 1];
      if (std::find(picked.begin(), picked.end(), topic) == picked.end() &&
          picked.size() < static_cast<std::size_t>(max_topics)) {
        picked.push_back(topic);
      }
    }
    if (garbled || (picked.empty() && any_unknown)) {
      read[q->second] = std::nullopt;
    } else {
      read[q->second] = std::move(picked);
    }
  }
  for (auto& [i, tags] : read) {
    if (seen[i] == 1) out[i] = std::move(tags);
  }
}

}  // namespace examq::retag
