#include "ai/answer_parser.h"

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>

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

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The whole number a string spells, with at most `suffixes` after it and `prefixes` before it
// ("2", "2 marks", "[2]", "(2 marks)"; "page 3"), or nullopt.
std::optional<std::int64_t> number_in_text(std::string_view raw, std::initializer_list<std::string_view> prefixes,
                                           std::initializer_list<std::string_view> suffixes) {
  std::string s = lower(trim(raw));
  std::string_view v = s;
  if (v.size() >= 2 && ((v.front() == '[' && v.back() == ']') || (v.front() == '(' && v.back() == ')'))) {
    v = trim(v.substr(1, v.size() - 2));
  }
  for (std::string_view p : prefixes) {
    if (v.substr(0, p.size()) == p) {
      v = trim(v.substr(p.size()));
      break;
    }
  }
  std::size_t digits = 0;
  while (digits < v.size() && is_digit(v[digits])) ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  std::string_view rest = trim(v.substr(digits));
  bool suffix_ok = rest.empty();
  for (std::string_view suffix : suffixes) suffix_ok = suffix_ok || rest == suffix;
  if (!suffix_ok) return std::nullopt;
  return std::stoll(std::string(v.substr(0, digits)));
}

// A string field, or a whole number given for it (coerced, `repaired` set).
std::optional<std::string> string_field(const tao::json::value& v, bool& repaired) {
  if (v.is_string_type()) return std::string(trim(v.get_string_type()));
  if (std::optional<std::int64_t> n = whole_number(v); n && *n >= 0) {
    repaired = true;
    return std::to_string(*n);
  }
  return std::nullopt;
}

// One row: fills `q` or returns why the row is dropped.
std::optional<std::string> read_row(const tao::json::value& item, const std::vector<int>& batch_page_numbers,
                                    const std::vector<Topic>& topics, AiQuestion& q, DroppedRow& seen, bool& repaired) {
  if (!item.is_object()) return "not an object";
  q.question.source = "ai";

  // The page first, so that a dropped row still says where it was.
  const tao::json::value* page = field(item, "page_number");
  std::optional<std::int64_t> p = page == nullptr ? std::nullopt : whole_number(*page);
  if (!p && page != nullptr && page->is_string_type()) {
    p = number_in_text(page->get_string_type(), {"page", "p.", "p"}, {});
    if (p) repaired = true;
  }
  if (p && *p >= INT32_MIN && *p <= INT32_MAX) seen.page = static_cast<int>(*p);

  const tao::json::value* number = field(item, "number");
  std::optional<std::string> n = number == nullptr ? std::nullopt : string_field(*number, repaired);
  if (n && n->size() <= 200) seen.number = *n;
  if (!n) return "number is missing or not a string";
  if (n->empty()) return "number is empty";
  if (n->size() > kMaxNumberLength) return "number is longer than 64 characters";
  q.question.number = *n;

  if (const tao::json::value* parent = field(item, "parent_number")) {
    std::optional<std::string> pn = string_field(*parent, repaired);
    if (!pn) return "parent_number is not a string";
    if (pn->size() > kMaxNumberLength) return "parent_number is longer than 64 characters";
    q.question.parent_number = *pn;
  }

  const tao::json::value* text = field(item, "text");
  if (text == nullptr || !text->is_string_type()) return "text is missing or not a string";
  q.question.text = trim(text->get_string_type());

  if (const tao::json::value* marks = field(item, "marks")) {
    std::optional<std::int64_t> m = whole_number(*marks);
    bool empty_text = marks->is_string_type() && trim(marks->get_string_type()).empty();
    if (!m && marks->is_string_type() && !empty_text) {
      m = number_in_text(marks->get_string_type(), {}, {"marks", "mark", "m"});
      if (m) repaired = true;
    }
    if (empty_text) {
      repaired = true;  // "" for "no marks printed": null
    } else {
      if (!m || *m < 0 || *m > kMaxMarks) return "marks must be a non-negative integer or null, got " + shown(*marks);
      q.question.marks = static_cast<int>(*m);
    }
  }

  if (!p) return "page_number is missing or not an integer";
  if (std::find(batch_page_numbers.begin(), batch_page_numbers.end(), *p) == batch_page_numbers.end()) {
    return "page_number " + std::to_string(*p) + " is not one of the pages sent (" +
           std::to_string(batch_page_numbers.front()) + " to " + std::to_string(batch_page_numbers.back()) + ")";
  }
  q.question.page_number = static_cast<int>(*p);

  if (const tao::json::value* refs = field(item, "topic_refs")) {
    if (!refs->is_array()) return "topic_refs is not an array";
    for (const tao::json::value& ref : refs->get_array()) {
      if (!ref.is_string_type()) return "topic_refs holds a non-string";
      std::string_view r = trim(ref.get_string_type());
      const Topic* topic = nullptr;
      if (r.size() > 1 && r[0] == 'T') {
        bool digits = std::all_of(r.begin() + 1, r.end(), is_digit);
        if (digits && r.size() < 10) {
          std::size_t idx = std::stoul(std::string(r.substr(1)));
          if (idx >= 1 && idx <= topics.size()) topic = &topics[idx - 1];
        }
      }
      if (topic == nullptr) {
        for (const Topic& t : topics) {
          if (t.id == r) topic = &t;
        }
      }
      if (topic != nullptr && std::find(q.topic_ids.begin(), q.topic_ids.end(), topic->id) == q.topic_ids.end()) {
        q.topic_ids.push_back(topic->id);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

ParsedAnswer parse_answer_rows(const tao::json::value& given, const std::vector<int>& batch_page_numbers,
                               const std::vector<Topic>& topics) {
  bool all_repaired = false;
  tao::json::value unwrapped;
  const tao::json::value* answer = &given;
  if (answer->is_string_type()) {  // a tool input sent as a JSON string
    unwrapped = parse_answer_text(answer->get_string_type());
    answer = &unwrapped;
    all_repaired = true;
  }
  if (!answer->is_object()) throw InvalidAnswer("the answer is not a JSON object");
  const tao::json::value* list = answer->find("questions");
  tao::json::value unwrapped_list;
  if (list != nullptr && list->is_string_type()) {
    unwrapped_list = parse_answer_text(list->get_string_type());
    list = &unwrapped_list;
    all_repaired = true;
  }
  if (list == nullptr || !list->is_array()) throw InvalidAnswer("the answer has no \"questions\" array");

  ParsedAnswer out;
  out.questions.reserve(list->get_array().size());
  std::size_t row = 0;
  for (const tao::json::value& item : list->get_array()) {
    ++row;
    AiQuestion q;
    DroppedRow seen;
    bool repaired = all_repaired;
    if (std::optional<std::string> why = read_row(item, batch_page_numbers, topics, q, seen, repaired)) {
      seen.reason = "question " + std::to_string(row) + ": " + *why;
      out.dropped.push_back(std::move(seen));
      continue;
    }
    out.repaired.push_back(repaired);
    out.questions.push_back(std::move(q));
  }
  return out;
}

std::vector<AiQuestion> parse_answer(const tao::json::value& answer, const std::vector<int>& batch_page_numbers,
                                     const std::vector<Topic>& topics) {
  ParsedAnswer parsed = parse_answer_rows(answer, batch_page_numbers, topics);
  if (!parsed.dropped.empty()) throw InvalidAnswer(parsed.dropped.front().reason);
  return std::move(parsed.questions);
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
