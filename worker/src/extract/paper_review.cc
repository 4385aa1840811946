#include "extract/paper_review.h"

#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "extract/numbering_check.h"
#include "extract/page_coverage.h"
#include "extract/stated_total.h"

namespace examq::extract {
namespace {

// An OCR page needs this many words with a letter or digit before its confidence means anything:
// a blank scanned page reads as a few specks with no confidence at all.
constexpr std::size_t kMinOcrWords = 10;
// Pages named one by one in details; the rest are counted.
constexpr std::size_t kMaxPageMessages = 8;

// Rows as a tree by parent_number, for sums and leaves.
struct RowTree {
  std::vector<std::vector<std::size_t>> children;
  std::vector<std::size_t> roots;  // in paper order; rows in a parent cycle end up here too
};

RowTree row_tree(const std::vector<Question>& questions) {
  RowTree t;
  t.children.resize(questions.size());
  std::map<std::string, std::size_t> first_row;
  for (std::size_t i = 0; i < questions.size(); ++i) first_row.try_emplace(questions[i].number, i);
  std::vector<bool> has_parent(questions.size(), false);
  for (std::size_t i = 0; i < questions.size(); ++i) {
    const auto& parent = questions[i].parent_number;
    if (parent.empty()) continue;
    auto it = first_row.find(parent);
    if (it == first_row.end() || it->second == i) continue;
    t.children[it->second].push_back(i);
    has_parent[i] = true;
  }
  for (std::size_t i = 0; i < questions.size(); ++i) {
    if (!has_parent[i]) t.roots.push_back(i);
  }
  return t;
}

struct MarksWalk {
  int sum = 0;
  int leaves = 0;
  int unmarked_leaves = 0;
};

// Walks the tree once; `visited` keeps a malformed parent cycle from looping.
MarksWalk walk_marks(const std::vector<Question>& questions, const RowTree& tree) {
  MarksWalk out;
  std::vector<bool> visited(questions.size(), false);
  std::vector<int> below(questions.size(), -1);  // memo: whether a row's descendants carry marks
  std::function<bool(std::size_t)> marked_below = [&](std::size_t i) {
    if (below[i] >= 0) return below[i] == 1;
    below[i] = 0;  // a cycle reads as "no marks" rather than recursing forever
    bool any = false;
    for (auto c : tree.children[i]) any = any || questions[c].marks.has_value() || marked_below(c);
    below[i] = any ? 1 : 0;
    return any;
  };
  std::function<int(std::size_t, bool)> count = [&](std::size_t i, bool ancestor_marked) -> int {
    if (visited[i]) return 0;
    visited[i] = true;
    const auto& q = questions[i];
    if (tree.children[i].empty()) {
      ++out.leaves;
      if (!q.marks && !ancestor_marked) ++out.unmarked_leaves;
    }
    if (tree.children[i].empty() || !marked_below(i)) {
      for (auto c : tree.children[i]) count(c, ancestor_marked || q.marks.has_value());  // leaves only
      return q.marks.value_or(0);
    }
    int sum = 0;
    for (auto c : tree.children[i]) sum += count(c, ancestor_marked || q.marks.has_value());
    return sum;
  };
  for (auto r : tree.roots) out.sum += count(r, false);
  for (std::size_t i = 0; i < questions.size(); ++i) {
    if (!visited[i]) out.sum += count(i, false);
  }
  return out;
}

std::string plural(int n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

bool has_alnum(const std::string& s) {
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c >= 0x80) return true;
  }
  return false;
}

class Findings {
 public:
  explicit Findings(PaperReview& r) : r_(r) {}
  void add(std::string_view reason, std::string message) {
    if (r_.reasons.empty() || r_.reasons.back() != reason) r_.reasons.emplace_back(reason);
    r_.details.push_back({std::string(reason), std::move(message)});
  }

 private:
  PaperReview& r_;
};

// A list of pages with a message each, the ones past kMaxPageMessages summed up.
template <typename Fn>
void page_messages(Findings& f, std::string_view reason, const std::vector<int>& pages, Fn message) {
  for (std::size_t i = 0; i < pages.size() && i < kMaxPageMessages; ++i) f.add(reason, message(i));
  if (pages.size() > kMaxPageMessages) {
    f.add(reason, "and " + plural(static_cast<int>(pages.size() - kMaxPageMessages), "more page", "more pages"));
  }
}

}  // namespace

int sum_of_marks(const std::vector<Question>& questions) { return walk_marks(questions, row_tree(questions)).sum; }

PaperReview review_paper(const std::vector<pdf::PageText>& pages, const std::vector<Question>& questions) {
  PaperReview r;
  Findings f(r);
  std::set<int> question_pages;
  bool any_marks = false;
  for (const auto& q : questions) {
    question_pages.insert(q.page_number);
    any_marks = any_marks || q.marks.has_value();
  }

  if (auto stated = choose_stated_total(find_stated_totals(pages), question_pages)) {
    r.stated_total = stated->marks;
    r.stated_total_page = stated->page_number;
    r.stated_total_text = stated->line;
  }
  const RowTree tree = row_tree(questions);
  const MarksWalk marks = walk_marks(questions, tree);
  r.marks_sum = marks.sum;
  r.leaf_rows = marks.leaves;
  r.leaf_rows_without_marks = marks.unmarked_leaves;
  r.marks_match = !questions.empty() && r.stated_total && *r.stated_total == r.marks_sum;
  const std::string stated_where =
      r.stated_total ? " (page " + std::to_string(r.stated_total_page) + ": \"" + r.stated_total_text + "\")" : "";

  if (questions.empty()) {
    int words = 0;
    for (const auto& p : pages) {
      for (const auto& w : p.words) words += has_alnum(w.text) ? 1 : 0;
    }
    f.add(review_reason::no_questions,
          words > 0 ? "no question was recognised, although the paper's " + plural(static_cast<int>(pages.size()), "page has ", "pages have ") +
                          plural(words, "word", "words")
                    : "no question was recognised and no page has readable text (an image-only paper with OCR off?)");
  } else if (r.stated_total && !any_marks) {
    f.add(review_reason::no_marks_read, "the paper states a total of " + std::to_string(*r.stated_total) + " marks" +
                                            stated_where + ", but no marks were read from its questions");
  } else if (r.stated_total && !r.marks_match) {
    std::string m = "the marks read add up to " + std::to_string(r.marks_sum) + "; the paper states " +
                    std::to_string(*r.stated_total) + stated_where;
    if (r.leaf_rows_without_marks > 0) {
      m += "; " + std::to_string(r.leaf_rows_without_marks) + " of " + plural(r.leaf_rows, "leaf row has", "leaf rows have") +
           " no marks";
    }
    f.add(review_reason::marks_total_mismatch, m);
  }

  if (!questions.empty() && any_marks) {
    std::set<int> checked;
    for (const auto& qt : find_question_totals(pages)) {
      if (!checked.insert(qt.question).second) continue;
      std::vector<Question> rows;
      for (const auto& q : questions) {
        if (top_level_number(q.number) == qt.question) rows.push_back(q);
      }
      if (rows.empty()) continue;  // a missing question: numbering_gap says so
      const int sum = sum_of_marks(rows);
      if (sum != qt.marks) {
        f.add(review_reason::question_total_mismatch,
              "question " + std::to_string(qt.question) + ": the marks read add up to " + std::to_string(sum) +
                  "; the paper says " + std::to_string(qt.marks) + " (page " + std::to_string(qt.page_number) + ")");
      }
    }
  }

  const NumberingCheck numbering = check_numbering(questions);
  r.missing_numbers = numbering.missing;
  r.repeated_numbers = numbering.repeated;
  for (const auto& m : numbering.gap_messages) f.add(review_reason::numbering_gap, m);
  for (const auto& m : numbering.repeat_messages) f.add(review_reason::numbering_repeat, m);

  // When the marks read add up to the stated total, every marked question has a row: a page
  // without one can only hold the continuation of a question (code, a source, answer space),
  // so it is not reported.
  const auto empty_pages = r.marks_match ? std::vector<PageWording>{} : pages_without_questions(pages, question_pages);
  for (const auto& p : empty_pages) r.pages_without_questions.push_back(p.page_number);
  page_messages(f, review_reason::pages_without_questions, r.pages_without_questions, [&](std::size_t i) {
    return "page " + std::to_string(empty_pages[i].page_number) + " has " + plural(empty_pages[i].words, "word", "words") +
           " of text but no question was read on it";
  });

  std::vector<double> confidences;
  for (const auto& p : pages) {
    // A failed reading keeps the page's own (unusable) text layer: its source is not `ocr`.
    if (!p.ocr_error.empty()) {
      r.ocr_failed_pages.push_back(p.page_number);
      continue;
    }
    if (p.source != pdf::TextSource::ocr) continue;
    // A poorly read page that holds no question, in a paper whose marks add up, hid nothing: it
    // is a diagram, a graph or a formulae sheet that Tesseract read as noise.
    if (r.marks_match && !question_pages.count(p.page_number)) continue;
    std::size_t words = 0;
    for (const auto& w : p.words) words += has_alnum(w.text) ? 1 : 0;
    if (words >= kMinOcrWords && p.ocr_confidence < kLowOcrConfidence) {
      r.low_ocr_confidence_pages.push_back(p.page_number);
      confidences.push_back(p.ocr_confidence);
    }
  }
  page_messages(f, review_reason::low_ocr_confidence, r.low_ocr_confidence_pages, [&](std::size_t i) {
    return "page " + std::to_string(r.low_ocr_confidence_pages[i]) + " was read by OCR with a mean confidence of " +
           std::to_string(static_cast<int>(std::lround(confidences[i]))) + "%";
  });
  std::map<int, std::string> ocr_errors;
  for (const auto& p : pages) ocr_errors[p.page_number] = p.ocr_error;
  page_messages(f, review_reason::ocr_failed, r.ocr_failed_pages, [&](std::size_t i) {
    return "page " + std::to_string(r.ocr_failed_pages[i]) + " could not be read by OCR: " + ocr_errors[r.ocr_failed_pages[i]];
  });

  r.needed = !r.reasons.empty();
  return r;
}

}  // namespace examq::extract
