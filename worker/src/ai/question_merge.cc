#include "ai/question_merge.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

namespace examq::ai {
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// 1..39 for a lower-case roman numeral, 0 otherwise.
int roman_value(const std::string& s) {
  static const char* const kRomans[] = {"i",    "ii",    "iii",  "iv",    "v",     "vi",    "vii",    "viii",
                                        "ix",   "x",     "xi",   "xii",   "xiii",  "xiv",   "xv",     "xvi",
                                        "xvii", "xviii", "xix",  "xx"};
  const std::string l = lower(s);
  for (int i = 0; i < 20; ++i) {
    if (l == kRomans[i]) return i + 1;
  }
  return 0;
}

enum class PartKind { letter, roman, number, other };

bool all_digits(const std::string& s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

PartKind kind_of(const std::string& part) {
  if (all_digits(part)) return PartKind::number;
  const bool roman = roman_value(part) != 0;
  if (part.size() == 1 && is_alpha(part[0]) && !roman) return PartKind::letter;
  if (roman) return PartKind::roman;
  return PartKind::other;
}

// A label as a key: lower case, so "8(A)" and "8(a)" are one.
std::string key_of(const QuestionLabel& l) { return lower(l.str()); }

}  // namespace

std::string QuestionLabel::str() const {
  std::string s = top;
  for (const std::string& p : parts) s += "(" + p + ")";
  return s;
}

QuestionLabel parse_label(std::string_view number) {
  std::string s;
  for (char c : number) {
    if (!is_space(c)) s += c;
  }
  QuestionLabel raw{s, {}, false};
  const std::string l = lower(s);
  std::size_t i = 0;
  for (const char* prefix : {"question", "q"}) {
    const std::size_t n = std::char_traits<char>::length(prefix);
    if (l.compare(0, n, prefix) == 0 && l.size() > n && is_digit(l[n])) {
      i = n;
      break;
    }
  }
  QuestionLabel out;
  while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) out.top += s[i++];
  while (!out.top.empty() && out.top.back() == '.') out.top.pop_back();
  if (!out.top.empty() && out.top.front() == '.') return raw;
  while (i < s.size()) {
    if (s[i] == '(') {
      const std::size_t close = s.find(')', i);
      if (close == std::string::npos || close == i + 1) return raw;
      std::string part = s.substr(i + 1, close - i - 1);
      if (!std::all_of(part.begin(), part.end(), [](char c) { return is_alpha(c) || is_digit(c); })) return raw;
      out.parts.push_back(std::move(part));
      i = close + 1;
    } else if (is_alpha(s[i])) {
      std::size_t j = i;
      while (j < s.size() && is_alpha(s[j])) ++j;
      std::string run = s.substr(i, j - i);
      // "a", "ii" or "aii": a letter part then a roman one.
      if (out.parts.empty() && !out.top.empty() && run.size() > 1 && roman_value(run.substr(1)) != 0) {
        out.parts.push_back(run.substr(0, 1));
        out.parts.push_back(run.substr(1));
      } else if (run.size() == 1 || roman_value(run) != 0) {
        out.parts.push_back(run);
      } else {
        return raw;
      }
      i = j;
    } else if ((s[i] == '.' || s[i] == ')') && i + 1 == s.size()) {
      ++i;  // "c." or "c)"
    } else {
      return raw;
    }
  }
  if (out.top.empty() && out.parts.empty()) return raw;
  return out;
}

QuestionLabel resolve_bare(const QuestionLabel& bare, const QuestionLabel& context) {
  if (!bare.bare() || !context.parsed || context.top.empty()) return bare;
  const std::string& first = bare.parts.front();
  PartKind kind = kind_of(first);
  std::optional<std::size_t> depth;
  auto deepest = [&](PartKind k) -> std::optional<std::size_t> {
    for (std::size_t d = context.parts.size(); d-- > 0;) {
      if (kind_of(context.parts[d]) == k) return d;
    }
    return std::nullopt;
  };
  if (kind == PartKind::roman && first.size() == 1) {
    // "i", "v", "x": a letter when it follows the context's letter ("(i)" after "(h)").
    if (std::optional<std::size_t> d = deepest(PartKind::letter)) {
      const std::string l = lower(context.parts[*d]);
      if (l.size() == 1 && l[0] + 1 == std::tolower(static_cast<unsigned char>(first[0]))) kind = PartKind::letter;
    }
  }
  depth = deepest(kind);
  QuestionLabel out;
  out.top = context.top;
  const std::size_t keep = depth ? *depth : context.parts.size();
  out.parts.assign(context.parts.begin(), context.parts.begin() + static_cast<std::ptrdiff_t>(keep));
  out.parts.insert(out.parts.end(), bare.parts.begin(), bare.parts.end());
  return out;
}

namespace {

std::set<std::string> words(std::string_view text) {
  std::set<std::string> out;
  std::string w;
  for (char c : text) {
    if (is_alpha(c) || is_digit(c)) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      out.insert(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) out.insert(std::move(w));
  return out;
}

}  // namespace

double text_similarity(std::string_view a, std::string_view b) {
  const std::set<std::string> x = words(a);
  const std::set<std::string> y = words(b);
  if (x.empty() || y.empty()) return 0.0;
  std::size_t common = 0;
  for (const std::string& w : x) common += y.count(w);
  const double jaccard = static_cast<double>(common) / static_cast<double>(x.size() + y.size() - common);
  const std::size_t shorter = std::min(x.size(), y.size());
  const double contained = shorter >= 4 ? 0.9 * static_cast<double>(common) / static_cast<double>(shorter) : 0.0;
  return std::max(jaccard, contained);
}

int compare_labels(const QuestionLabel& a, const QuestionLabel& b) {
  auto segments = [](const std::string& top) {
    std::vector<long> out;
    std::size_t i = 0;
    while (i <= top.size()) {
      std::size_t dot = top.find('.', i);
      if (dot == std::string::npos) dot = top.size();
      out.push_back(std::strtol(top.substr(i, dot - i).c_str(), nullptr, 10));
      i = dot + 1;
    }
    return out;
  };
  if (a.top != b.top) {
    if (!a.parsed || !b.parsed) return a.top < b.top ? -1 : 1;
    const std::vector<long> x = segments(a.top);
    const std::vector<long> y = segments(b.top);
    if (x != y) return x < y ? -1 : 1;
  }
  const std::size_t n = std::min(a.parts.size(), b.parts.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& p = a.parts[i];
    const std::string& q = b.parts[i];
    if (lower(p) == lower(q)) continue;
    const PartKind kp = kind_of(p);
    const PartKind kq = kind_of(q);
    if (kp == kq && kp == PartKind::number) return std::stol(p) < std::stol(q) ? -1 : 1;
    if (kp == kq && kp == PartKind::roman) return roman_value(p) < roman_value(q) ? -1 : 1;
    return lower(p) < lower(q) ? -1 : 1;
  }
  if (a.parts.size() != b.parts.size()) return a.parts.size() < b.parts.size() ? -1 : 1;  // a stem first
  return 0;
}

namespace {

struct Kept {
  AiQuestion row;
  QuestionLabel label;
  std::string key;
  bool resolved = false;       // its number was resolved from a bare part
  std::size_t first_batch = 0;
  std::size_t last_batch = 0;  // the last batch that read it
};

void absorb(Kept& kept, AiQuestion&& other, const QuestionLabel& other_label, bool other_resolved) {
  extract::Question& k = kept.row.question;
  extract::Question& o = other.question;
  if (kept.resolved && !other_resolved) {
    // The number as printed in full beats one resolved from a bare part.
    kept.label = other_label;
    kept.key = key_of(other_label);
    kept.resolved = false;
    k.number = kept.label.str();
    if (!o.parent_number.empty()) k.parent_number = o.parent_number;
  }
  const bool same_number = key_of(other_label) == kept.key;  // else its parent_number is not ours
  if (o.text.size() > k.text.size()) {
    std::swap(k.text, o.text);
    if (o.marks) k.marks = o.marks;  // the fuller reading's marks win when it printed some
    if (same_number && !other_resolved && !o.parent_number.empty()) k.parent_number = o.parent_number;
  }
  if (!k.marks) k.marks = o.marks;
  if (k.parent_number.empty() && same_number) k.parent_number = o.parent_number;
  for (std::string& id : other.topic_ids) {
    if (std::find(kept.row.topic_ids.begin(), kept.row.topic_ids.end(), id) == kept.row.topic_ids.end()) {
      kept.row.topic_ids.push_back(std::move(id));
    }
  }
}

}  // namespace

std::vector<AiQuestion> merge_batches(std::vector<std::vector<AiQuestion>> batches) {
  std::vector<Kept> kept;
  std::map<int, std::vector<std::size_t>> pages;  // page -> indices into kept, in paper order

  auto last_before = [&](int page) -> const Kept* {
    auto it = pages.lower_bound(page);
    while (it != pages.begin()) {
      --it;
      if (!it->second.empty()) return &kept[it->second.back()];
    }
    return nullptr;
  };

  for (std::size_t bi = 0; bi < batches.size(); ++bi) {
    std::vector<AiQuestion>& batch = batches[bi];
    if (batch.empty()) continue;
    int first_page = batch.front().question.page_number;
    for (const AiQuestion& q : batch) first_page = std::min(first_page, q.question.page_number);
    std::optional<QuestionLabel> context;
    if (const Kept* k = last_before(first_page)) context = k->label;
    std::map<int, std::size_t> cursor;  // page -> where this batch's next new row goes
    std::set<std::size_t> matched;      // kept rows this batch has read

    for (AiQuestion& q : batch) {
      extract::Question& qq = q.question;
      QuestionLabel label = parse_label(qq.number);
      bool resolved = false;
      if (label.bare()) {
        QuestionLabel parent = parse_label(qq.parent_number);
        if (!qq.parent_number.empty() && parent.parsed && !parent.bare()) {
          label = resolve_bare(label, parent);
        } else if (context) {
          label = resolve_bare(label, *context);
        }
        resolved = !label.bare();
        if (resolved && qq.parent_number.empty()) {
          QuestionLabel up = label;
          up.parts.pop_back();
          qq.parent_number = up.str();
        }
      }
      if (label.parsed) qq.number = label.str();
      if (!label.bare()) context = label;
      const std::string key = key_of(label);
      const int page = qq.page_number;

      // The same row read before: by number, then by text on the same page.
      std::optional<std::size_t> same;
      int distance = 2;
      for (std::size_t i = 0; i < kept.size(); ++i) {
        const int d = std::abs(kept[i].row.question.page_number - page);
        if (kept[i].key == key && d < distance && !matched.count(i)) {
          same = i;  // the nearest: a numbering that restarts (sections) may repeat on the next page
          distance = d;
        }
      }
      if (!same) {
        double best = kSameRowSimilarity;
        for (std::size_t i : pages[page]) {
          const Kept& k = kept[i];
          if (k.last_batch == bi || matched.count(i)) continue;
          const bool near = resolved || k.resolved || label.bare() || k.label.bare() ||
                            (!label.parts.empty() && !k.label.parts.empty() &&
                             lower(label.parts.back()) == lower(k.label.parts.back()));
          if (!near) continue;
          const double s = text_similarity(qq.text, k.row.question.text);
          if (s >= best) {
            best = s;
            same = i;
          }
        }
      }

      std::vector<std::size_t>& order = pages[page];
      if (same) {
        Kept& k = kept[*same];
        const int old_page = k.row.question.page_number;
        absorb(k, std::move(q), label, resolved);
        k.last_batch = bi;
        matched.insert(*same);
        if (!k.resolved) context = k.label;
        auto& at = pages[old_page];
        cursor[old_page] = static_cast<std::size_t>(std::find(at.begin(), at.end(), *same) - at.begin()) + 1;
        continue;
      }
      const std::size_t index = kept.size();
      kept.push_back(Kept{std::move(q), label, key, resolved, bi, bi});
      matched.insert(index);
      std::size_t at;
      if (auto c = cursor.find(page); c != cursor.end()) {
        at = c->second;
      } else {
        // The first row this batch reads on the page: by number among the page's rows.
        at = 0;
        while (at < order.size() && compare_labels(kept[order[at]].label, label) <= 0) ++at;
      }
      order.insert(order.begin() + static_cast<std::ptrdiff_t>(at), index);
      cursor[page] = at + 1;
    }
  }

  std::vector<AiQuestion> rows;
  rows.reserve(kept.size());
  for (auto& [page, order] : pages) {
    for (std::size_t i : order) rows.push_back(std::move(kept[i].row));
  }
  int position = 0;
  for (AiQuestion& q : rows) q.question.position = ++position;
  return rows;
}

std::string last_label_before(const std::vector<AiQuestion>& rows, int first_page) {
  std::string label;
  for (const AiQuestion& q : rows) {
    if (q.question.page_number < first_page && !parse_label(q.question.number).bare()) label = q.question.number;
  }
  return label;
}

}  // namespace examq::ai
