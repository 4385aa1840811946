#include "extract/segmenter.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>
#include <regex>

#include "extract/marks_parser.h"
#include "extract/question_numbering.h"

namespace examq::extract {

namespace {

constexpr double kMarginTolerance = 8.0;  // points right of the margin a number may start
// ... on a scanned page, which the scanner may have fed a little askew or off-centre.
constexpr double kScannedMarginTolerance = 14.0;
// Points left of it: right-aligned numbers put "10" a digit left of "9"; further left is a
// cover page's barcode or the page's edge, not the paper's numbers.
constexpr double kMarginLeftTolerance = 14.0;
constexpr double kSpeckGap = 15.0;       // points between a margin speck and the line it joined
constexpr double kAligned = 3.0;         // points: "in the column" rather than near it
constexpr double kItemIndent = 30.0;    // points right of the margin a problem's "1." may start
constexpr double kWordSpace = 5.0;        // points: wider than an ordinary space in body text
constexpr double kSameParagraph = 0.6;    // line gap, as a share of line height, within a paragraph

struct Node {
  std::string number, parent;
  int page = 0;
  struct TextLine {
    std::string text;
    bool option = false;
  };
  std::vector<TextLine> lines;
  std::optional<int> marks;
  std::optional<int> stated_total;  // "(Total for Question 1 is 7 marks)", on a question's node
  bool has_children = false;
  // Its marks were printed at the end of its wording, on a line after its label: the row is
  // finished, and a list that follows ("Hint: (a) ... (b) ...") is wording, not its parts.
  bool closed = false;
};

enum class PartKind { none, letter, numeric, named };

// A multiple-choice option: "A  oxygen", "(B) neon", "C. 12". A bare capital needs a gap wider than
// a word space after it, or "A student added..." would be an option.
bool is_option_line(const std::vector<pdf::Word>& words) {
  if (words.size() < 2) return false;
  static const std::regex marked(R"(^(\([A-E]\)|[A-E][.)])$)", std::regex::optimize);
  static const std::regex bare(R"(^[A-E]$)", std::regex::optimize);
  const std::string& first = words.front().text;
  if (first.size() > 3) return false;
  if (std::regex_match(first, marked)) return true;
  return std::regex_match(first, bare) && words[1].x0 - words[0].x1 >= kWordSpace;
}

// "Section A", "SECTION B: Structured questions", "Part 2". "Part" also starts wording ("Part B of
// the experiment uses..."), so it counts only on a line of its own.
bool is_section_heading(const std::vector<pdf::Word>& words) {
  if (words.size() < 2 || words[0].text.size() > 7 || words[1].text.size() > 5) return false;
  static const std::regex section(R"(^(Section|SECTION)$)", std::regex::optimize);
  static const std::regex part(R"(^(Part|PART)$)", std::regex::optimize);
  static const std::regex name(R"(^([A-Z]|\d{1,2}|[IVX]{1,4})[:.]?$)", std::regex::optimize);
  if (!std::regex_match(words[1].text, name)) return false;
  if (std::regex_match(words[0].text, section)) return words.size() <= 6;
  return std::regex_match(words[0].text, part) && words.size() <= 3;
}

// True when the line's wording ends like a sentence or a clause that a new question may follow.
bool ends_sentence(const std::vector<pdf::Word>& words) {
  if (words.empty()) return true;
  const std::string& last = words.back().text;
  if (last.empty()) return true;
  const char c = last.back();
  return c == '.' || c == '?' || c == '!' || c == ':' || c == ';' || c == ')' || c == ']';
}

std::string join_words(const std::vector<pdf::Word>& words, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += words[i].text;
  }
  return out;
}

class Segmenter {
 public:
  explicit Segmenter(std::string source) : source_(std::move(source)) {}

  void line(const Line& line) {
    const double margin = region_->margin;
    std::vector<pdf::Word> words = line.words;
    if (region_->scanned) drop_margin_specks(words, margin);
    std::optional<MarksLabel> marks;
    double marks_x0 = line.x0;
    if (auto trailing = parse_trailing_marks(words)) {
      marks = trailing->label;
      marks_x0 = words[words.size() - trailing->word_count].x0;
      words.resize(words.size() - trailing->word_count);
    }
    if (!words.empty() && open_named_part(words, line.page_number)) {
      if (words.size() > 2) {
        std::vector<pdf::Word> rest(words.begin() + 2, words.end());
        nodes_[static_cast<std::size_t>(target_)].lines.push_back({join_words(rest, 0), false});
      }
      add_marks(marks);
      previous_ = Previous{true, line.y0, line.y1, true};
      return;
    }
    if (!words.empty() && is_section_heading(words)) {
      target_ = -1;
      return;
    }
    // Is this line the next line of a sentence left unfinished just above it?
    const bool continues = previous_.valid && !previous_.ended &&
                           line.y0 - previous_.y1 < kSameParagraph * (previous_.y1 - previous_.y0);
    std::size_t text_from = 0;
    if (!words.empty()) text_from = apply_labels(words, line.page_number, margin, continues);
    // "Problem 3 (3 points) Prove ...": marks printed right after the label are that row's.
    if (text_from > 0 && target_ >= 0) {
      if (auto leading = parse_leading_marks(words, text_from)) {
        add_marks(leading->label);
        text_from += leading->word_count;
      }
    }
    if (text_from < words.size()) {
      std::vector<pdf::Word> rest(words.begin() + static_cast<std::ptrdiff_t>(text_from), words.end());
      if (target_ >= 0)
        nodes_[static_cast<std::size_t>(target_)].lines.push_back({join_words(rest, 0), is_option_line(rest)});
    }
    // A marks line of its own standing under a part's label, not out at the right margin, is the
    // whole question's (Melbourne prints "(4 marks)" under a question's last part).
    // Where the marks stand is where their first word stands: a scan's margin speck, dropped
    // above, may have widened the line to the page's edge.
    if (marks && marks->kind == MarksLabel::Kind::marks && words.empty() && part_node_ >= 0 &&
        target_ > question_node_ && marks_x0 <= part_label_x_ + 2.0) {
      target_ = question_node_;
    }
    add_marks(marks);
    if (marks && marks->kind == MarksLabel::Kind::marks && text_from == 0 && target_ >= 0)
      nodes_[static_cast<std::size_t>(target_)].closed = true;
    previous_ = Previous{true, line.y0, line.y1, marks.has_value() || text_from >= words.size() || ends_sentence(words)};
  }

  // OCR reads sideways margin text ("DO NOT WRITE IN THIS AREA") and scanner dirt as short
  // junk words that join the lines beside them: "ps  (a) Solids ...". Short words well left of
  // the question column, set apart from the rest of the line, are dropped on scanned pages, and
  // so are short words set apart after a closing bracket at the line's end.
  static void drop_margin_specks(std::vector<pdf::Word>& words, double margin) {
    std::size_t n = 0;
    while (n + 1 < words.size() && words[n].x1 < margin - kMarginLeftTolerance && words[n].text.size() <= 4 &&
           words[n + 1].x0 - words[n].x1 > kSpeckGap)
      ++n;
    if (n > 0) words.erase(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(n));
    // The same at the right edge, after a line's marks: "(2)  im".
    std::size_t keep = words.size();
    while (keep >= 2 && words[keep - 1].text.size() <= 3 && words[keep - 1].x0 - words[keep - 2].x1 > kSpeckGap &&
           words[keep - 1].text[0] != '(' && words[keep - 1].text[0] != '[') {
      const std::string& before = words[keep - 2].text;
      if (before.empty() || (before.back() != ')' && before.back() != ']')) break;
      --keep;
    }
    words.resize(keep);
  }

  // Lines of different regions are not above one another. The region's margin, whether it was
  // scanned and whether it is a right column hold for all of its lines; its numbering is the
  // paper's style as the layout found it (Region::numbering).
  void start_region(const Region& region) {
    region_ = &region;
    previous_.valid = false;
    if (!style_ && region.numbering) style_ = region.numbering;
  }

  std::vector<Question> finish() {
    // Edexcel's mathematics papers print no marks on the parts, only "(Total for Question 1 is 7
    // marks)" after them: then the question carries that total.
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      Node& q = nodes_[i];
      if (!q.parent.empty() || !q.stated_total || q.marks) continue;
      bool any = false;
      for (std::size_t j = i + 1; j < nodes_.size() && !nodes_[j].parent.empty(); ++j) any = any || nodes_[j].marks;
      if (!any) q.marks = q.stated_total;
    }
    std::vector<Question> out;
    for (const auto& node : nodes_) {
      std::string text = node_text(node);
      if (node.has_children && text.empty() && !node.marks) continue;
      Question q;
      q.number = node.number;
      q.parent_number = node.parent;
      q.position = static_cast<int>(out.size()) + 1;
      q.text = std::move(text);
      q.marks = node.marks;
      q.page_number = node.page;
      q.source = source_;
      out.push_back(std::move(q));
    }
    return out;
  }

 private:
  // Applies the labels at the start of `words`; returns the index of the first word of wording.
  std::size_t apply_labels(const std::vector<pdf::Word>& words, int page, double margin, bool continues) {
    const LineLabels labels = parse_line_labels(words, style_ == NumberStyle::boxed);
    std::size_t text_from = 0;
    std::size_t i = 0;
    bool opened_on_line = false;
    if (!labels.tokens.empty() && labels.tokens[0].kind == LabelToken::Kind::question) {
      const LabelToken& t = labels.tokens[0];
      // A number at the start of a line is, in this order: an item of a named question's
      // numbered list, the question it names seen again, or the next question.
      if (!(words[0].text[0] != '0' && open_numbered_item(t, page, margin)) &&
          !reopen_question(t, words.front().x0, margin, page)) {
        const bool next_is_part = labels.tokens.size() > 1 && labels.tokens[1].first_word == t.end_word;
        if (!accept_question(t, words.front().x0, margin, labels.gap_after_question, next_is_part, continues) ||
            names_other_questions(words, t))
          return 0;
        open_question_token(t, page);
      }
      text_from = t.end_word;
      opened_on_line = true;
      i = 1;
    }
    for (; i < labels.tokens.size(); ++i) {
      const LabelToken& t = labels.tokens[i];
      if (!open_part(t, page, opened_on_line)) break;
      text_from = t.end_word;
      opened_on_line = true;
    }
    return text_from;
  }

  // "Problem 1: 30%, Problem 2: 30%, Problem 3: 40%": a line that names further questions with
  // the same word is a cover page's summary, not the start of question 1.
  static bool names_other_questions(const std::vector<pdf::Word>& words, const LabelToken& t) {
    if (t.style != NumberStyle::prefixed || t.end_word < 2) return false;
    const std::string& prefix = words[t.end_word - 2].text;
    for (std::size_t i = t.end_word; i + 1 < words.size(); ++i)
      if (words[i].text == prefix && !words[i + 1].text.empty() &&
          std::isdigit(static_cast<unsigned char>(words[i + 1].text[0])))
        return true;
    return false;
  }

  // The same number again, in the column, on a later page, while the question it names has
  // neither parts nor marks: the first was a number on a formulae or instructions page ("1" of
  // a formula), this is the question. Its row starts again here.
  bool reopen_question(const LabelToken& t, double x0, double margin, int page) {
    if (question_node_ < 0 || t.value != question_ || t.numeric_part || (style_ && *style_ != t.style)) return false;
    if (right_column() || std::abs(x0 - margin) > kAligned) return false;
    Node& q = nodes_[static_cast<std::size_t>(question_node_)];
    if (q.has_children || q.marks || q.page >= page) return false;
    q.lines.clear();
    q.page = page;
    target_ = question_node_;
    return true;
  }

  bool accept_question(const LabelToken& t, double x0, double margin, double gap, bool next_is_part,
                       bool continues) const {
    const double right_tolerance = region_->scanned ? kScannedMarginTolerance : kMarginTolerance;
    if (x0 > margin + right_tolerance || x0 < margin - kMarginLeftTolerance) return false;
    // A strong label ("(12)", "Q12", boxed "1 2") one number ahead is taken too: a scan can lose
    // a label ("(11)" read as "1)"); the review's numbering check then reports the gap.
    // So is a number exactly in the question column: OCR loses a bold "1" beside a box.
    const bool strong = t.bracketed || t.style == NumberStyle::prefixed || t.style == NumberStyle::boxed;
    // (A right column's margin is where its own first number stands, so alignment there proves
    // nothing: a table's cells stand aligned too.)
    const bool aligned = !right_column() && std::abs(x0 - margin) <= kAligned;
    const bool next_question =
        t.value == question_ + 1 || ((strong || aligned) && (question_ > 0 || aligned) && t.value == question_ + 2);
    // AQA repeats the question's boxes on each part: "0 1 . 2" continues question 01; so do
    // "Q 2.1", "Q 2.2" under a section "2".
    const bool next_numeric_part =
        t.numeric_part && t.value == question_ &&
        ((part_kind_ == PartKind::numeric && *t.numeric_part == part_value_ + 1) ||
         (part_kind_ == PartKind::none && *t.numeric_part == 1));
    if (style_ && *style_ != t.style && !next_numeric_part) return false;
    if (!next_question && !next_numeric_part) return false;
    if (next_question && t.numeric_part && *t.numeric_part != 1) return false;
    // A bare "2" followed by an ordinary word space may be a sentence that happens to start with a
    // number: refuse it when it continues an unfinished sentence on the line just above, and as
    // the first question, where the lines before it are a cover page.
    if (t.style == NumberStyle::bare && !t.punctuated && gap < kWordSpace && !next_is_part &&
        (question_ == 0 || continues))
      return false;
    // Nor a bare number alone on its line as the first question: that is a cover page's
    // "For Examiner's Use" table far more often than a question.
    if (t.style == NumberStyle::bare && !t.punctuated && std::isinf(gap) && question_ == 0) return false;
    return true;
  }

  void open_question_token(const LabelToken& t, int page) {
    if (!style_) style_ = t.style;
    if (t.value != question_) {
      char buf[16];
      if (t.style == NumberStyle::boxed) std::snprintf(buf, sizeof buf, "%02d", t.value);
      else std::snprintf(buf, sizeof buf, "%d", t.value);
      question_ = t.value;
      question_node_ = add_node(buf, "", page, 0);
      part_kind_ = PartKind::none;
      part_node_ = -1;
      sub_value_ = 0;
    }
    if (t.numeric_part) open_numeric_part(*t.numeric_part, t.x0, page);
  }

  bool closed(int node) const { return node >= 0 && nodes_[static_cast<std::size_t>(node)].closed; }

  // Opens the part or sub-part `t` names if it is next in sequence.
  bool open_part(const LabelToken& t, int page, bool same_line_as_label) {
    if (question_node_ < 0) return false;
    const std::string& s = t.label;
    const int roman = roman_value(s);

    if (part_kind_ == PartKind::numeric) {
      // Under a numeric part, one more level: letters or roman numerals, whichever starts it.
      const bool letter_next = s.size() == 1 && (sub_value_ == 0 ? s == "a" : sub_letter_ && s[0] == 'a' + sub_value_);
      const bool roman_next = roman > 0 && (sub_value_ == 0 ? roman == 1 : !sub_letter_ && roman == sub_value_ + 1);
      if (!letter_next && !roman_next) return false;
      if (sub_value_ == 0 && closed(part_node_)) return false;
      sub_letter_ = letter_next;
      open_sub("(" + s + ")", page);
      sub_value_ = sub_letter_ ? (s[0] - 'a' + 1) : roman;
      return true;
    }

    const char expected_letter = part_kind_ == PartKind::letter ? static_cast<char>('a' + part_value_) : 'a';
    // On a scan one label may be lost ("(i)" under a figure): the next but one is taken there.
    const bool can_letter =
        s.size() == 1 && (s[0] == expected_letter || (region_->scanned && s[0] == expected_letter + 1 && s[0] != 'i'));
    const bool can_roman =
        part_kind_ == PartKind::letter && (roman == sub_value_ + 1 || (region_->scanned && roman == sub_value_ + 2));
    bool as_roman = can_roman;
    if (can_letter && can_roman) {
      // "(i)" after "(h)": a sub-part sits right of its part's label, or on the same line.
      as_roman = same_line_as_label || t.x0 > part_label_x_ + 4.0;
    }
    if (!can_letter && !can_roman) return false;
    // Only a list that starts afresh, "(a)" or "(i)", can be a closed row's hint list.
    if (as_roman ? (roman == 1 && closed(part_node_)) : (part_kind_ == PartKind::none && closed(question_node_)))
      return false;
    if (as_roman) {
      open_sub("(" + s + ")", page);
      sub_value_ = roman;
      return true;
    }
    part_kind_ = PartKind::letter;
    part_value_ = s[0] - 'a' + 1;
    const std::string parent = nodes_[static_cast<std::size_t>(question_node_)].number;
    part_node_ = add_node(parent + "(" + s + ")", parent, page, 1);
    part_label_x_ = t.x0;
    sub_value_ = 0;
    return true;
  }

  void add_marks(const std::optional<MarksLabel>& marks) {
    if (marks && marks->kind == MarksLabel::Kind::total && question_node_ >= 0) {
      nodes_[static_cast<std::size_t>(question_node_)].stated_total = marks->value;
      return;
    }
    if (!marks || marks->kind != MarksLabel::Kind::marks || target_ < 0) return;
    auto& m = nodes_[static_cast<std::size_t>(target_)].marks;
    m = m.value_or(0) + marks->value;
  }

  // Under questions named by a word ("Problem 1", "Question 2"), a numbered list "1." "2." at the
  // start of lines numbers the question's parts (DTU: Problem 1, question 4 is 1.4), and a list
  // restarting at "1." further right numbers a part's items (1.4(2)). Only punctuated numbers
  // count: a bare "4" is wording or a figure's label.
  bool open_numbered_item(const LabelToken& t, int page, double margin) {
    if (style_ != NumberStyle::prefixed || t.style != NumberStyle::bare || !t.punctuated || question_node_ < 0)
      return false;
    if (t.numeric_part || t.bracketed) return false;
    // A problem's parts are listed near its own label; a "1)" far inside the page is a table's
    // or a figure's.
    if (part_kind_ == PartKind::none && t.value == 1 && t.x0 <= margin + kItemIndent) {
      open_numeric_part(t.value, t.x0, page);
      return true;
    }
    if (part_kind_ != PartKind::numeric) return false;
    const bool indented = t.x0 > part_label_x_ + 4.0;
    if (!indented && t.value == part_value_ + 1 && t.x0 <= margin + kItemIndent) {
      open_numeric_part(t.value, t.x0, page);
      return true;
    }
    if (indented && ((sub_value_ == 0 && t.value == 1) || (sub_numeric_ && t.value == sub_value_ + 1))) {
      open_sub("(" + std::to_string(t.value) + ")", page);
      sub_value_ = t.value;
      sub_numeric_ = true;
      return true;
    }
    return false;
  }

  void open_numeric_part(int value, double x0, int page) {
    part_kind_ = PartKind::numeric;
    part_value_ = value;
    const std::string parent = nodes_[static_cast<std::size_t>(question_node_)].number;
    part_node_ = add_node(parent + "." + std::to_string(value), parent, page, 1);
    part_label_x_ = x0;
    sub_value_ = 0;
    sub_letter_ = false;
    sub_numeric_ = false;
  }

  // "Part A", "Part B" on a line of their own inside a question are its parts (Chalmers: 8(A)).
  // Only the next letter of the current question's named parts counts, starting at A; anything
  // else ("Part B" after question 5, with question 6 next) is a section heading.
  bool open_named_part(const std::vector<pdf::Word>& words, int page) {
    if (question_node_ < 0 || words.size() < 2 || (words[0].text != "Part" && words[0].text != "PART")) return false;
    std::string name = words[1].text;
    while (!name.empty() && (name.back() == ':' || name.back() == '.')) name.pop_back();
    if (name.size() != 1 || name[0] < 'A' || name[0] > 'Z') return false;
    const int index = name[0] - 'A' + 1;
    if (index != (part_kind_ == PartKind::named ? part_value_ + 1 : 1)) return false;
    if (part_kind_ != PartKind::named && part_kind_ != PartKind::none) return false;
    part_kind_ = PartKind::named;
    part_value_ = index;
    const std::string parent = nodes_[static_cast<std::size_t>(question_node_)].number;
    part_node_ = add_node(parent + "(" + name + ")", parent, page, 1);
    part_label_x_ = words[0].x0;
    sub_value_ = 0;
    return true;
  }

  void open_sub(const std::string& label, int page) {
    const std::string parent = nodes_[static_cast<std::size_t>(part_node_)].number;
    add_node(parent + label, parent, page, 2);
  }

  int add_node(std::string number, std::string parent, int page, int depth) {
    if (depth == 1) nodes_[static_cast<std::size_t>(question_node_)].has_children = true;
    if (depth == 2) nodes_[static_cast<std::size_t>(part_node_)].has_children = true;
    Node n;
    n.number = std::move(number);
    n.parent = std::move(parent);
    n.page = page;
    nodes_.push_back(std::move(n));
    target_ = static_cast<int>(nodes_.size()) - 1;
    return target_;
  }

  static std::string node_text(const Node& node) {
    std::string out;
    bool previous_option = false;
    for (const auto& l : node.lines) {
      if (l.text.empty()) continue;
      if (!out.empty()) out += (l.option || previous_option) ? '\n' : ' ';
      out += l.text;
      previous_option = l.option;
    }
    return out;
  }

  std::string source_;
  // The region being read (start_region): on a scanned one OCR may have lost a label; a right
  // column's margin is where its own first number stands.
  const Region* region_ = nullptr;
  bool right_column() const { return region_->kind == Region::Kind::right_column; }
  std::vector<Node> nodes_;
  std::optional<NumberStyle> style_;
  int question_ = 0;
  int question_node_ = -1, part_node_ = -1, target_ = -1;
  PartKind part_kind_ = PartKind::none;
  int part_value_ = 0;      // letter index (a = 1) or numeric part
  int sub_value_ = 0;       // roman value or letter index of the current sub-part, 0 if none
  bool sub_letter_ = false; // sub-parts under a numeric part are letters
  bool sub_numeric_ = false;  // ... or numbered items "1." (open_numbered_item)
  double part_label_x_ = 0;
  struct Previous {
    bool valid = false;
    double y0 = 0, y1 = 0;
    bool ended = true;  // ended a sentence, a label line or a marks line
  } previous_;
};

}  // namespace

std::vector<Question> segment(const std::vector<Region>& regions, const std::string& source) {
  Segmenter s(source);
  for (const auto& region : regions) {
    s.start_region(region);
    for (const auto& line : region.lines) s.line(line);
  }
  return s.finish();
}

}  // namespace examq::extract
