#include "ai/answer_parser.h"

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <algorithm>
#include <cmath>

namespace examq::ai {
namespace {

constexpr std::size_t kMaxNumberLength = 64;
constexpr std::int64_t kMaxMarks = 10000;

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string shown(const tao::json::value& v) {
  std::string s = tao::json::to_string(v);
  if (s.size() > 40) s = s.substr(0, 40) + "...";
  return s;
}

[[noreturn]] void reject(std::size_t row, const std::string& what) {
  throw InvalidAnswer("question " + std::to_string(row + 1) + ": " + what);
}

// An integral value of a JSON number, or nullopt when it is not a whole number.
std::optional<std::int64_t> whole_number(const tao::json::value& v) {
  if (v.is_signed()) return v.get_signed();
  if (v.is_unsigned()) {
    std::uint64_t u = v.get_unsigned();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

const tao::json::value* field(const tao::json::value& object, const char* key) {
  const tao::json::value* v = object.find(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

}  // namespace

std::vector<AiQuestion> parse_answer(const tao::json::value& answer, const std::vector<int>& batch_page_numbers,
                                     const std::vector<Topic>& topics) {
  if (!answer.is_object()) throw InvalidAnswer("the answer is not a JSON object");
  const tao::json::value* list = answer.find("questions");
  if (list == nullptr || !list->is_array()) throw InvalidAnswer("the answer has no \"questions\" array");

  std::vector<AiQuestion> out;
  out.reserve(list->get_array().size());
  std::size_t row = 0;
  for (const tao::json::value& item : list->get_array()) {
    if (!item.is_object()) reject(row, "not an object");
    AiQuestion q;
    q.question.source = "ai";

    const tao::json::value* number = field(item, "number");
    if (number == nullptr || !number->is_string_type()) reject(row, "number is missing or not a string");
    std::string_view n = trim(number->get_string_type());
    if (n.empty()) reject(row, "number is empty");
    if (n.size() > kMaxNumberLength) reject(row, "number is longer than 64 characters");
    q.question.number = n;

    if (const tao::json::value* parent = field(item, "parent_number")) {
      if (!parent->is_string_type()) reject(row, "parent_number is not a string");
      q.question.parent_number = trim(parent->get_string_type());
      if (q.question.parent_number.size() > kMaxNumberLength) reject(row, "parent_number is longer than 64 characters");
    }

    const tao::json::value* text = field(item, "text");
    if (text == nullptr || !text->is_string_type()) reject(row, "text is missing or not a string");
    q.question.text = trim(text->get_string_type());

    if (const tao::json::value* marks = field(item, "marks")) {
      std::optional<std::int64_t> m = whole_number(*marks);
      if (!m || *m < 0 || *m > kMaxMarks) {
        reject(row, "marks must be a non-negative integer or null, got " + shown(*marks));
      }
      q.question.marks = static_cast<int>(*m);
    }

    const tao::json::value* page = field(item, "page_number");
    std::optional<std::int64_t> p = page == nullptr ? std::nullopt : whole_number(*page);
    if (!p) reject(row, "page_number is missing or not an integer");
    if (std::find(batch_page_numbers.begin(), batch_page_numbers.end(), *p) == batch_page_numbers.end()) {
      reject(row, "page_number " + std::to_string(*p) + " is not one of the pages sent (" +
                      std::to_string(batch_page_numbers.front()) + " to " + std::to_string(batch_page_numbers.back()) + ")");
    }
    q.question.page_number = static_cast<int>(*p);

    if (const tao::json::value* refs = field(item, "topic_refs")) {
      if (!refs->is_array()) reject(row, "topic_refs is not an array");
      for (const tao::json::value& ref : refs->get_array()) {
        if (!ref.is_string_type()) reject(row, "topic_refs holds a non-string");
        std::string_view r = trim(ref.get_string_type());
        const Topic* topic = nullptr;
        if (r.size() > 1 && r[0] == 'T') {
          std::size_t idx = 0;
          bool digits = std::all_of(r.begin() + 1, r.end(), [](char c) { return c >= '0' && c <= '9'; });
          if (digits && r.size() < 10) {
            idx = std::stoul(std::string(r.substr(1)));
            if (idx >= 1 && idx <= topics.size()) topic = &topics[idx - 1];
          }
        }
        if (topic == nullptr) {
          for (const Topic& t : topics) {
            if (t.id == r) topic = &t;
          }
        }
        if (topic != nullptr &&
            std::find(q.topic_ids.begin(), q.topic_ids.end(), topic->id) == q.topic_ids.end()) {
          q.topic_ids.push_back(topic->id);
        }
      }
    }
    out.push_back(std::move(q));
    ++row;
  }
  return out;
}

tao::json::value parse_answer_text(std::string_view text) {
  std::string_view t = trim(text);
  if (t.substr(0, 3) == "```") {
    std::size_t newline = t.find('\n');
    std::size_t close = t.rfind("```");
    if (newline != std::string_view::npos && close != std::string_view::npos && close > newline) {
      t = trim(t.substr(newline + 1, close - newline - 1));
    }
  }
  try {
    return tao::json::from_string(std::string(t));
  } catch (const std::exception& e) {
    throw InvalidAnswer(std::string("the answer is not valid JSON (") + std::string(e.what()).substr(0, 120) + ")");
  }
}

}  // namespace examq::ai
