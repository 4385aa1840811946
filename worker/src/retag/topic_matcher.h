#pragma once
// The embedded topic matcher of the retag-questions job (docs/retag.md): no network, no model,
// deterministic. Each leaf topic of a syllabus becomes a TF-IDF vector over its title (weighted
// highest), its description and its parent topics' titles; each question becomes one over its
// own text plus, more lightly, the text of the questions it belongs to (3(a)(ii) reads the stem
// of 3(a) and of 3). A question gets the (at most max_topics) leaf topics whose cosine similarity
// to it is at least min_score, best first.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace examq::retag {

struct Topic {
  std::string id;         // uuid, text form
  std::string parent_id;  // "" for a top-level topic
  std::string code;       // may be ""
  std::string title;
  std::string description;
};

struct Question {
  std::string id;
  std::string number;         // as printed: 3(a)(ii)
  std::string parent_number;  // "" when none: 3(a) for 3(a)(ii)
  std::string text;
};

struct MatchOptions {
  int max_topics = 2;       // EXAMQ_RETAG_MAX_TOPICS
  double min_score = 0.04;  // EXAMQ_RETAG_MIN_SCORE (tuned: bench/retag, tune split)
  // Reads EXAMQ_RETAG_MAX_TOPICS (1..20) and EXAMQ_RETAG_MIN_SCORE (0..1); unset or empty keeps
  // the default; anything else throws std::invalid_argument naming the variable.
  static MatchOptions from_env();
};

struct TopicMatch {
  std::size_t topic;  // index into the topics given to TopicMatcher
  double score;       // cosine similarity, 0..1
};

// Lowercased words with stopwords removed and a light stemming (plurals, -ing, -ed, ...):
// what both topics and questions are compared by. Exposed for the tests.
std::vector<std::string> tokenize(std::string_view text);

class TopicMatcher {
 public:
  // `topics` as read from syllabus_topics, in syllabus order (ties go to the earlier topic).
  TopicMatcher(std::vector<Topic> topics, MatchOptions options = {});

  // The best leaf topics of each question (same order as `questions`), each list best first.
  std::vector<std::vector<TopicMatch>> match(const std::vector<Question>& questions) const;

  const std::vector<Topic>& topics() const { return topics_; }
  // How many topics can be given (leaves: topics no other topic names as parent).
  std::size_t leaf_count() const { return leaves_.size(); }
  // The leaves' indices into topics(), in syllabus order.
  const std::vector<std::size_t>& leaves() const { return leaves_; }

 private:
  struct Vector {
    std::vector<std::pair<int, double>> terms;  // (term index, weight), sorted by term
    double norm = 0;
  };
  // Weighted words to a tf-idf vector; words no topic has count in the norm only.
  Vector vectorize(const std::vector<std::pair<std::string, double>>& weighted_words) const;

  std::vector<Topic> topics_;
  MatchOptions options_;
  std::vector<std::size_t> leaves_;
  std::vector<Vector> leaf_vectors_;
  // Term dictionary and inverse document frequencies over the leaf topics.
  std::unordered_map<std::string, int> terms_;
  std::vector<double> idf_;
  double unknown_idf_ = 1;  // the idf of a word no leaf topic has
};

}  // namespace examq::retag
