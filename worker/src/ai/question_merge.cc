#include "ai/question_merge.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace examq::ai {
namespace {

void absorb(AiQuestion& kept, AiQuestion&& other) {
  extract::Question& k = kept.question;
  extract::Question& o = other.question;
  if (o.text.size() > k.text.size()) {
    std::swap(k.text, o.text);
    if (o.marks) k.marks = o.marks;  // the fuller reading's marks win when it printed some
    if (!o.parent_number.empty()) k.parent_number = o.parent_number;
  } else {
    if (!k.marks) k.marks = o.marks;
    if (k.parent_number.empty()) k.parent_number = o.parent_number;
  }
  for (std::string& id : other.topic_ids) {
    if (std::find(kept.topic_ids.begin(), kept.topic_ids.end(), id) == kept.topic_ids.end()) {
      kept.topic_ids.push_back(std::move(id));
    }
  }
}

}  // namespace

std::vector<AiQuestion> merge_batches(std::vector<std::vector<AiQuestion>> batches) {
  std::vector<AiQuestion> rows;
  std::map<std::pair<std::string, int>, std::size_t> seen;  // (number, page) -> index in rows
  for (std::vector<AiQuestion>& batch : batches) {
    for (AiQuestion& q : batch) {
      auto key = std::make_pair(q.question.number, q.question.page_number);
      auto it = seen.find(key);
      if (it == seen.end()) {
        seen.emplace(std::move(key), rows.size());
        rows.push_back(std::move(q));
      } else {
        absorb(rows[it->second], std::move(q));
      }
    }
  }
  int position = 0;
  for (AiQuestion& q : rows) q.question.position = ++position;
  return rows;
}

}  // namespace examq::ai
