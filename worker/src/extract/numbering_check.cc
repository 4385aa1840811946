#include "extract/numbering_check.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace examq::extract {
namespace {

// A group whose labels go past this is not a sequence of parts (a year, a page, a code).
constexpr int kMaxSequence = 60;
// Findings beyond this many are summed up in one message.
constexpr std::size_t kMaxMessages = 12;

// One level of a number: the top "3" (style 0), a bracketed part "(a)" ('('), a dotted "2" ('.').
struct Component {
  std::string label;
  char style = 0;
};

std::optional<std::vector<Component>> parse_number(const std::string& number) {
  std::vector<Component> out;
  std::size_t i = 0;
  auto skip_spaces = [&] {
    while (i < number.size() && number[i] == ' ') ++i;
  };
  std::string top;
  while (i < number.size() && std::isdigit(static_cast<unsigned char>(number[i]))) top += number[i++];
  if (top.empty()) return std::nullopt;
  out.push_back({top, 0});
  while (skip_spaces(), i < number.size()) {
    if (number[i] == '(') {
      const std::size_t close = number.find(')', i);
      if (close == std::string::npos || close == i + 1) return std::nullopt;
      std::string label = number.substr(i + 1, close - i - 1);
      for (char c : label) {
        if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
      }
      out.push_back({label, '('});
      i = close + 1;
    } else if (number[i] == '.') {
      std::string label;
      ++i;
      while (i < number.size() && std::isdigit(static_cast<unsigned char>(number[i]))) label += number[i++];
      if (label.empty()) return std::nullopt;
      out.push_back({label, '.'});
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Labels compare as written, except numbers, which compare by value: "01" is question 1.
bool same_label(const std::string& a, const std::string& b) {
  auto digits = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  auto unpadded = [](const std::string& s) {
    const auto i = s.find_first_not_of('0');
    return i == std::string::npos ? std::string("0") : s.substr(i);
  };
  return digits(a) && digits(b) ? unpadded(a) == unpadded(b) : a == b;
}

std::string shown(const std::string& prefix, const Component& c) {
  if (c.style == '(') return prefix + "(" + c.label + ")";
  if (c.style == '.') return prefix + "." + c.label;
  return prefix + c.label;
}

enum class Kind { number, lower, upper, roman_lower, roman_upper, mixed };

std::optional<int> roman_value(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::vector<std::string> kRoman = {"i",   "ii",  "iii",  "iv", "v",   "vi",  "vii", "viii",
                                                  "ix",  "x",   "xi",   "xii", "xiii", "xiv", "xv",  "xvi",
                                                  "xvii", "xviii", "xix", "xx"};
  auto it = std::find(kRoman.begin(), kRoman.end(), s);
  if (it == kRoman.end()) return std::nullopt;
  return static_cast<int>(it - kRoman.begin()) + 1;
}

std::string roman_label(int v, bool upper) {
  static const char* kRoman[] = {"i",  "ii", "iii", "iv",  "v",    "vi",  "vii", "viii", "ix",   "x",
                                 "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx"};
  std::string s = (v >= 1 && v <= 20) ? kRoman[v - 1] : std::to_string(v);
  if (upper) std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

bool all_of_labels(const std::vector<Component>& labels, bool (*pred)(const std::string&)) {
  return std::all_of(labels.begin(), labels.end(), [&](const Component& c) { return pred(c.label); });
}

Kind kind_of(const std::vector<Component>& labels) {
  auto digits = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  auto roman_lower = [](const std::string& s) {
    return roman_value(s).has_value() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::islower(c) != 0; });
  };
  auto roman_upper = [](const std::string& s) {
    return roman_value(s).has_value() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isupper(c) != 0; });
  };
  auto lower = [](const std::string& s) { return s.size() == 1 && std::islower(static_cast<unsigned char>(s[0])) != 0; };
  auto upper = [](const std::string& s) { return s.size() == 1 && std::isupper(static_cast<unsigned char>(s[0])) != 0; };
  // Roman before letters: (i), (v), (x) alone are roman; with (a)...(h) beside them, letters.
  if (all_of_labels(labels, +digits)) return Kind::number;
  if (all_of_labels(labels, +roman_lower)) return Kind::roman_lower;
  if (all_of_labels(labels, +lower)) return Kind::lower;
  if (all_of_labels(labels, +roman_upper)) return Kind::roman_upper;
  if (all_of_labels(labels, +upper)) return Kind::upper;
  return Kind::mixed;
}

int value_of(const std::string& label, Kind kind) {
  switch (kind) {
    case Kind::number: return std::stoi(label.substr(0, 6));
    case Kind::lower: return label[0] - 'a' + 1;
    case Kind::upper: return label[0] - 'A' + 1;
    case Kind::roman_lower:
    case Kind::roman_upper: return *roman_value(label);
    case Kind::mixed: break;
  }
  return 0;
}

// The label of `value` in the group's own style ("03" beside "01", "c", "iii").
std::string label_of(int value, Kind kind, std::size_t width) {
  switch (kind) {
    case Kind::number: {
      std::string s = std::to_string(value);
      return s.size() < width ? std::string(width - s.size(), '0') + s : s;
    }
    case Kind::lower: return std::string(1, static_cast<char>('a' + value - 1));
    case Kind::upper: return std::string(1, static_cast<char>('A' + value - 1));
    case Kind::roman_lower: return roman_label(value, false);
    case Kind::roman_upper: return roman_label(value, true);
    case Kind::mixed: break;
  }
  return std::to_string(value);
}

// The children of one number (the top-level questions when prefix is ""), in reading order.
struct Group {
  std::vector<Component> labels;  // distinct, in order of first appearance
  std::string current;            // the label of the last row that reached this group
};

void cap(std::vector<std::string>& messages) {
  if (messages.size() <= kMaxMessages) return;
  const std::size_t more = messages.size() - kMaxMessages + 1;
  messages.resize(kMaxMessages - 1);
  messages.push_back("and " + std::to_string(more) + " more");
}

std::string name(const std::string& prefix, const std::string& full) {
  return prefix.empty() ? "question " + full : full;
}

}  // namespace

std::optional<int> top_level_number(const std::string& number) {
  std::string digits;
  for (char c : number) {
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    digits += c;
  }
  if (digits.empty() || digits.size() > 6) return std::nullopt;
  return std::stoi(digits);
}

NumberingCheck check_numbering(const std::vector<Question>& questions) {
  NumberingCheck out;
  std::map<std::string, Group> groups;
  std::vector<std::string> group_order;
  std::set<std::string> rows_seen, reported;
  auto repeat = [&](const std::string& number, std::string message) {
    if (!reported.insert(number).second) return;
    out.repeated.push_back(number);
    out.repeat_messages.push_back(std::move(message));
  };

  for (const auto& q : questions) {
    auto parts = parse_number(q.number);
    // Read again after other numbers: said with the number it came after.
    std::string prefix;
    for (const auto& c : parts ? *parts : std::vector<Component>{}) {
      auto [it, added] = groups.try_emplace(prefix);
      if (added) group_order.push_back(prefix);
      Group& g = it->second;
      const std::string full = shown(prefix, c);
      if (!same_label(c.label, g.current)) {
        const bool known = std::any_of(g.labels.begin(), g.labels.end(),
                                       [&](const Component& l) { return same_label(l.label, c.label); });
        if (known) {
          repeat(full, name(prefix, full) + " is read again after " + name(prefix, shown(prefix, {g.current, c.style})) +
                           " (page " + std::to_string(q.page_number) + ")");
        } else {
          g.labels.push_back(c);
        }
        g.current = c.label;
      }
      prefix = full;
    }
    // The same number twice in a row (or unparsed numbers twice).
    if (!rows_seen.insert(q.number).second) {
      repeat(q.number, (parts && parts->size() == 1 ? "question " : "") + q.number +
                           " is read more than once (again on page " + std::to_string(q.page_number) + ")");
    }
  }

  for (const auto& prefix : group_order) {
    const Group& g = groups.at(prefix);
    const Kind kind = kind_of(g.labels);
    if (kind == Kind::mixed) continue;
    std::set<int> present;
    std::size_t width = g.labels.front().label.size();  // zero-padded ("01") only if all are
    for (const auto& l : g.labels) {
      present.insert(value_of(l.label, kind));
      width = std::min(width, l.label.size());
    }
    if (present.empty() || *present.rbegin() > kMaxSequence) continue;
    const char style = g.labels.front().style;
    for (int v = 1; v < *present.rbegin(); ++v) {
      if (present.contains(v)) continue;
      const std::string full = shown(prefix, {label_of(v, kind, width), style});
      out.missing.push_back(full);
      auto above = present.upper_bound(v);
      auto below = present.lower_bound(v);
      std::string context;
      if (below == present.begin()) {
        context = name(prefix, shown(prefix, {label_of(*above, kind, width), style})) + " is the first read";
      } else {
        context = "read " + shown(prefix, {label_of(*std::prev(below), kind, width), style}) + ", then " +
                  shown(prefix, {label_of(*above, kind, width), style});
      }
      out.gap_messages.push_back("no " + name(prefix, full) + " (" + context + ")");
    }
  }
  cap(out.gap_messages);
  cap(out.repeat_messages);
  return out;
}

}  // namespace examq::extract
