#include "retag/topic_matcher.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <unordered_set>

namespace examq::retag {
namespace {

// Function words, and the words of exam instructions that say nothing about a topic.
const std::unordered_set<std::string_view>& stopwords() {
  static const std::unordered_set<std::string_view> words = {
      "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as",
      "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
      "could", "did", "do", "does", "doing", "down", "during", "each", "either", "etc", "few", "for", "from",
      "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if",
      "in", "into", "is", "it", "its", "itself", "just", "may", "me", "might", "more", "most", "must", "my",
      "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "out",
      "over", "own", "per", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
      "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "two", "under",
      "until", "up", "upon", "us", "very", "was", "we", "were", "what", "when", "where", "which", "while",
      "who", "whom", "why", "will", "with", "within", "without", "would", "you", "your", "yours",
      // exam instructions and layout
      "answer", "answers", "account", "box", "brief", "briefly", "calculate", "circle", "comment", "complete",
      "consider", "correct", "define", "describe", "determine", "diagram", "discuss", "draw", "evaluate",
      "example", "examples", "explain", "figure", "fig", "following", "give", "given", "identify", "including",
      "justify", "label", "line", "mark", "marks", "name", "note", "outline", "page", "part", "question",
      "questions", "reason", "reasons", "refer", "shown", "show", "space", "state", "statement", "suggest",
      "table", "tick", "total", "use", "used", "using", "way", "ways", "why", "write", "written",
      "ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii"};
  return words;
}

bool ends_with(const std::string& w, std::string_view suffix) {
  return w.size() >= suffix.size() && w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A light stemmer: enough that "forces"/"force", "reacting"/"reaction"... share a stem where it
// is cheap and safe; never shorter than three letters.
std::string stem(std::string w) {
  auto cut = [&w](std::size_t n, std::string_view add = {}) {
    if (w.size() - n + add.size() >= 3) w = w.substr(0, w.size() - n) + std::string(add);
  };
  if (w.size() <= 3) return w;
  if (ends_with(w, "ies") && w.size() > 4) {
    cut(3, "y");
  } else if (ends_with(w, "sses") || ends_with(w, "ses") || ends_with(w, "xes") || ends_with(w, "ches") ||
             ends_with(w, "shes")) {
    cut(2);  // processes, lenses, boxes, branches
  } else if (ends_with(w, "ss") || ends_with(w, "us") || ends_with(w, "is")) {
    // glass, virus, analysis: not plurals
  } else if (ends_with(w, "s") && w.size() > 4) {
    cut(1);  // not lens, gas, ...
  }
  if (ends_with(w, "ational")) {
    cut(5, "e");  // relational -> relate
  } else if (ends_with(w, "ations") || ends_with(w, "ation")) {
    cut(ends_with(w, "s") ? 6 : 5, "e");  // oxidation -> oxide... close enough for matching
  } else if (ends_with(w, "ing") && w.size() > 5) {
    cut(3);
  } else if (ends_with(w, "ed") && w.size() > 4) {
    cut(2);
  } else if (ends_with(w, "ly") && w.size() > 5) {
    cut(2);
  }
  if (w.size() > 3 && w.back() == 'e') w.pop_back();  // force/forc(es), oxide/oxid(ation)
  return w;
}

double tf(double raw) { return raw > 0 ? 1 + std::log(raw) : 0; }

}  // namespace

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 2 && !std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        !stopwords().count(word)) {
      std::string s = stem(word);
      if (!stopwords().count(s)) out.push_back(std::move(s));
    }
    word.clear();
  };
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') {
      word += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      word += static_cast<char>(c);  // UTF-8 letters stay whole words
    } else if (c == '\'' ) {
      // don't -> dont; the apostrophe joins
    } else {
      flush();
    }
  }
  flush();
  return out;
}

MatchOptions MatchOptions::from_env() {
  MatchOptions o;
  if (const char* v = std::getenv("EXAMQ_RETAG_MAX_TOPICS"); v != nullptr && *v != '\0') {
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (*end != '\0' || n < 1 || n > 20) {
      throw std::invalid_argument("EXAMQ_RETAG_MAX_TOPICS must be an integer from 1 to 20 (got \"" + std::string(v) + "\")");
    }
    o.max_topics = static_cast<int>(n);
  }
  if (const char* v = std::getenv("EXAMQ_RETAG_MIN_SCORE"); v != nullptr && *v != '\0') {
    char* end = nullptr;
    const double x = std::strtod(v, &end);
    if (*end != '\0' || !(x >= 0 && x <= 1)) {
      throw std::invalid_argument("EXAMQ_RETAG_MIN_SCORE must be a number from 0 to 1 (got \"" + std::string(v) + "\")");
    }
    o.min_score = x;
  }
  return o;
}

TopicMatcher::TopicMatcher(std::vector<Topic> topics, MatchOptions options)
    : topics_(std::move(topics)), options_(options) {
  std::map<std::string, std::size_t> by_id;
  std::unordered_set<std::string> parents;
  for (std::size_t i = 0; i < topics_.size(); ++i) {
    by_id[topics_[i].id] = i;
    if (!topics_[i].parent_id.empty()) parents.insert(topics_[i].parent_id);
  }
  for (std::size_t i = 0; i < topics_.size(); ++i) {
    if (!parents.count(topics_[i].id)) leaves_.push_back(i);
  }
  // Each leaf's words: title x3, description x1, the ancestors' titles x1.5 (then halving).
  std::vector<std::vector<std::pair<std::string, double>>> docs;
  for (std::size_t leaf : leaves_) {
    std::vector<std::pair<std::string, double>> words;
    const Topic& t = topics_[leaf];
    for (auto& w : tokenize(t.title)) words.emplace_back(std::move(w), 3.0);
    for (auto& w : tokenize(t.description)) words.emplace_back(std::move(w), 1.0);
    double weight = 1.5;
    std::string parent = t.parent_id;
    for (int depth = 0; !parent.empty() && depth < 8; ++depth, weight /= 2) {
      auto it = by_id.find(parent);
      if (it == by_id.end()) break;
      for (auto& w : tokenize(topics_[it->second].title)) words.emplace_back(std::move(w), weight);
      parent = topics_[it->second].parent_id;
    }
    docs.push_back(std::move(words));
  }
  // Document frequencies over the leaves.
  std::vector<int> df;
  for (const auto& words : docs) {
    std::unordered_set<int> seen;
    for (const auto& [w, weight] : words) {
      auto [it, added] = terms_.emplace(w, static_cast<int>(df.size()));
      if (added) df.push_back(0);
      if (seen.insert(it->second).second) ++df[it->second];
    }
  }
  const double n = static_cast<double>(docs.size());
  idf_.resize(df.size());
  for (std::size_t i = 0; i < df.size(); ++i) idf_[i] = std::log((n + 1) / (df[i] + 1)) + 1;
  unknown_idf_ = std::log(n + 1) + 1;
  for (const auto& words : docs) leaf_vectors_.push_back(vectorize(words));
}

TopicMatcher::Vector TopicMatcher::vectorize(const std::vector<std::pair<std::string, double>>& weighted_words) const {
  std::map<int, double> known;
  std::map<std::string, double> unknown;
  for (const auto& [w, weight] : weighted_words) {
    auto it = terms_.find(w);
    if (it != terms_.end()) {
      known[it->second] += weight;
    } else {
      unknown[w] += weight;
    }
  }
  Vector v;
  double sum = 0;
  for (const auto& [term, raw] : known) {
    const double x = tf(raw) * idf_[term];
    v.terms.emplace_back(term, x);
    sum += x * x;
  }
  for (const auto& [w, raw] : unknown) {
    const double x = tf(raw) * unknown_idf_;
    sum += x * x;
  }
  v.norm = std::sqrt(sum);
  return v;
}

std::vector<std::vector<TopicMatch>> TopicMatcher::match(const std::vector<Question>& questions) const {
  std::map<std::string, std::size_t> by_number;
  for (std::size_t i = 0; i < questions.size(); ++i) by_number.emplace(questions[i].number, i);
  std::vector<std::vector<TopicMatch>> out(questions.size());
  for (std::size_t qi = 0; qi < questions.size(); ++qi) {
    std::vector<std::pair<std::string, double>> words;
    for (auto& w : tokenize(questions[qi].text)) words.emplace_back(std::move(w), 1.0);
    // The stems of the questions it belongs to, lighter with each level.
    double weight = 0.5;
    std::string parent = questions[qi].parent_number;
    for (int depth = 0; !parent.empty() && depth < 8; ++depth, weight /= 2) {
      auto it = by_number.find(parent);
      if (it == by_number.end() || it->second == qi) break;
      for (auto& w : tokenize(questions[it->second].text)) words.emplace_back(std::move(w), weight);
      parent = questions[it->second].parent_number;
    }
    const Vector q = vectorize(words);
    if (q.norm == 0) continue;
    std::vector<TopicMatch> scored;
    for (std::size_t li = 0; li < leaves_.size(); ++li) {
      const Vector& t = leaf_vectors_[li];
      if (t.norm == 0) continue;
      double dot = 0;
      auto a = q.terms.begin();
      auto b = t.terms.begin();
      while (a != q.terms.end() && b != t.terms.end()) {
        if (a->first < b->first) {
          ++a;
        } else if (b->first < a->first) {
          ++b;
        } else {
          dot += a->second * b->second;
          ++a;
          ++b;
        }
      }
      const double score = dot / (q.norm * t.norm);
      if (score >= options_.min_score && score > 0) scored.push_back({leaves_[li], score});
    }
    // Best first; equal scores in syllabus order, so the answer never depends on anything else.
    std::stable_sort(scored.begin(), scored.end(), [](const TopicMatch& x, const TopicMatch& y) { return x.score > y.score; });
    if (scored.size() > static_cast<std::size_t>(options_.max_topics)) scored.resize(options_.max_topics);
    out[qi] = std::move(scored);
  }
  return out;
}

}  // namespace examq::retag
