// The review flag (extract/paper_review.h): a paper checked against itself. Hand-placed words and
// rows, so each test states exactly what the paper prints and what was read; and the stated totals
// of the real papers in ../shared/realpapers against their truth files, when that folder is there.

#define BOOST_TEST_MODULE paper_review_tests
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <tao/json.hpp>

#include "extract/numbering_check.h"
#include "extract/page_coverage.h"
#include "extract/paper_review.h"
#include "extract/stated_total.h"
#include "poppler_words.h"
#include "synthetic_words.h"

namespace ex = examq::extract;
namespace fs = std::filesystem;
using examq::pdf::PageText;
using examq::test::words_at;

namespace {

using Strings = std::vector<std::string>;

// A page whose lines are printed one under another from near the top, at the left margin.
PageText page(int number, const Strings& lines, double first_y = 100) {
  PageText p;
  p.page_number = number;
  p.width = 595;
  p.height = 842;
  double y = first_y;
  for (const auto& l : lines) {
    auto w = words_at(56, y, l);
    p.words.insert(p.words.end(), w.begin(), w.end());
    y += 14;
  }
  return p;
}

// `n` words of ordinary wording, eight a line; `seed` makes pages differ (the same words at the
// same place on several pages are furniture).
Strings prose(int n, int seed = 0) {
  Strings lines;
  std::string line;
  for (int i = 0; i < n; ++i) {
    line += (line.empty() ? "" : " ") + std::string("word") + std::to_string(seed) + "x" + std::to_string(i);
    if ((i + 1) % 8 == 0) lines.push_back(std::exchange(line, ""));
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

Strings operator+(Strings a, const Strings& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

ex::Question row(const std::string& number, const std::string& parent, std::optional<int> marks, int page_number) {
  ex::Question q;
  q.number = number;
  q.parent_number = parent;
  q.marks = marks;
  q.page_number = page_number;
  q.text = "wording of " + number;
  q.source = "text";
  return q;
}

// Questions 1..n on page 2, `marks` each, no parts.
std::vector<ex::Question> plain_questions(int n, int marks, int page_number = 2) {
  std::vector<ex::Question> qs;
  for (int i = 1; i <= n; ++i) qs.push_back(row(std::to_string(i), "", marks, page_number));
  return qs;
}

std::optional<int> stated(const Strings& cover_lines) {
  auto t = ex::choose_stated_total(ex::find_stated_totals({page(1, cover_lines)}), {2});
  return t ? std::optional<int>(t->marks) : std::nullopt;
}

bool has_reason(const ex::PaperReview& r, std::string_view reason) {
  return std::find(r.reasons.begin(), r.reasons.end(), reason) != r.reasons.end();
}

std::string all_details(const ex::PaperReview& r) {
  std::string s;
  for (const auto& d : r.details) s += d.reason + ": " + d.message + "\n";
  return s;
}

}  // namespace

// ---- the stated total ------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(stated_total)

BOOST_AUTO_TEST_CASE(stated_total_read_from_cover) {
  std::vector<PageText> pages = {page(1, Strings{"INFORMATION", "The total mark for this paper is 75.",
                                                 "The number of marks for each question is shown in brackets [ ]."}),
                                 page(2, Strings{"1 State Newton's first law. [2]"})};
  auto r = ex::review_paper(pages, plain_questions(1, 2));
  BOOST_TEST_REQUIRE(r.stated_total.has_value());
  BOOST_TEST(*r.stated_total == 75);
  BOOST_TEST(r.stated_total_page == 1);
  BOOST_TEST(r.stated_total_text == "The total mark for this paper is 75.");
}

BOOST_AUTO_TEST_CASE(every_common_wording_of_a_paper_total_is_read) {
  const std::pair<std::string, int> cases[] = {
      {"The total mark for this paper is 75.", 75},
      {"Total for paper = 110 marks", 110},
      {"TOTAL FOR PAPER = 110 MARKS", 110},
      {"TOTAL FOR PAPER IS 100 MARKS", 100},
      {"Max score: 20 pts", 20},
      {"Exam (4.5 HEC) Max score: 20 pts", 20},
      {"Maximum marks: 100", 100},
      {"Total: 40 points", 40},
      {"[Total: 75]", 75},
      {"The maximum number of marks is 75.", 75},
      {"Total marks for the exam is 50. This exam is worth 40% of the final mark in the subject;", 50},
      {"Exam Duration: 3 hours Total marks for this Exam: 60", 60},
      {"The maximum mark for this examination paper is [80 marks].", 80},
      {"Total Points: 100", 100},
      {"of each question. The marks add to a total of 70.", 70},
      {"\xE2\x80\xA2 Max po\xC3\xA4ng p\xC3\xA5 tentamen: 60. (Bonuspo\xC3\xA4ng tillkommer.)", 60},
      // The same, as Poppler gives it from some PDFs: base letters followed by combining accents.
      {"Max poa\xCC\x88ng pa\xCC\x8A tentamen: 60.", 60},
  };
  for (const auto& [line, total] : cases) {
    BOOST_TEST_CONTEXT(line) {
      auto t = stated({"Instructions", line});
      BOOST_TEST_REQUIRE(t.has_value());
      BOOST_TEST(*t == total);
    }
  }
}

BOOST_AUTO_TEST_CASE(question_section_and_other_totals_are_not_the_paper_total) {
  const std::string lines[] = {
      "(Total for Question 3 = 8 marks)",
      "TOTAL FOR SECTION A = 20 MARKS",
      "Total 0 5 10 15 20",
      "Example 1: if the parameter is 10, the total will be 18 (1 + 2 + 5 + 10) .",
      "Total number of pages 6 (including this page)",
      "This examination counts for 70% of the total assessment in the subject (30% being allocated).",
      "Total volume of acid in cm3",
      "Total 12",
      "The total mark for this paper is 2.5 hours",
      "Total Marks",
  };
  for (const auto& line : lines) {
    BOOST_TEST_CONTEXT(line) { BOOST_TEST(!stated({line}).has_value()); }
  }
}

BOOST_AUTO_TEST_CASE(paper_wording_is_preferred_over_a_plain_total) {
  std::vector<PageText> pages = {page(1, Strings{"Maximum marks: 100"}), page(2, Strings{"1 Question [5]"}),
                                 page(3, Strings{"TOTAL FOR PAPER = 5 MARKS"})};
  auto t = ex::choose_stated_total(ex::find_stated_totals(pages), {2});
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->marks == 5);
  BOOST_TEST(t->page_number == 3);
  BOOST_TEST((t->wording == ex::StatedTotal::Wording::paper));
}

BOOST_AUTO_TEST_CASE(plain_totals_on_question_pages_are_per_question) {
  // Cambridge prints "[Total: 7]" after each question: on a page with questions it is not the
  // paper's total, on a cover it is.
  std::vector<PageText> pages = {page(1, Strings{"Physics"}), page(2, Strings{"1 (a) Define work. [3]", "[Total: 7]"}),
                                 page(3, Strings{"2 State the law. [4]", "[Total: 4]"})};
  BOOST_TEST(!ex::choose_stated_total(ex::find_stated_totals(pages), {2, 3}).has_value());
  pages[0] = page(1, Strings{"Physics", "[Total: 11]"});
  auto t = ex::choose_stated_total(ex::find_stated_totals(pages), {2, 3});
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->marks == 11);
}

BOOST_AUTO_TEST_CASE(points_table_total_column_is_read) {
  // LaTeX exam class grade table on a cover; the total stands under "Total" in the points row.
  PageText cover;
  cover.page_number = 1;
  cover.width = 595;
  cover.height = 842;
  for (auto& w : examq::test::line_at(300, {{150, "Problem:"}, {220, "8"}, {240, "9"}, {260, "10"}, {300, "Total"}}))
    cover.words.push_back(w);
  for (auto& w : examq::test::line_at(314, {{150, "Points:"}, {220, "5"}, {240, "3"}, {260, "2"}, {305, "40"}}))
    cover.words.push_back(w);
  auto t = ex::choose_stated_total(ex::find_stated_totals({cover}), {2});
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->marks == 40);
}

BOOST_AUTO_TEST_CASE(question_totals_are_read_with_their_question) {
  auto found = ex::find_question_totals({page(4, Strings{"(Total for Question 3 = 8 marks)", "TOTAL FOR PAPER = 110 MARKS"})});
  BOOST_TEST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].question == 3);
  BOOST_TEST(found[0].marks == 8);
  BOOST_TEST(found[0].page_number == 4);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- marks against the total -------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(marks)

BOOST_AUTO_TEST_CASE(marks_sum_counts_leaves_and_marked_parents_over_unmarked_parts) {
  std::vector<ex::Question> qs = {
      row("1", "", std::nullopt, 2),     // a stem without marks
      row("1(a)", "1", 2, 2),            // leaves with marks
      row("1(b)", "1", 3, 2),
      row("2", "", 4, 2),                // a question without parts
      row("3", "", 10, 3),               // a stem printing the whole question's marks...
      row("3(a)", "3", 4, 3),            // ...over parts that print theirs: the parts count
      row("3(b)", "3", 6, 3),
      row("4(c)", "", 3, 3),             // "4(c) [3]" over unmarked (i), (ii): the parent counts
      row("4(c)(i)", "4(c)", std::nullopt, 3),
      row("4(c)(ii)", "4(c)", std::nullopt, 3),
      row("5", "", std::nullopt, 4),     // unmarked leaf: 0
  };
  BOOST_TEST(ex::sum_of_marks(qs) == 2 + 3 + 4 + 4 + 6 + 3);
  auto r = ex::review_paper({}, qs);
  BOOST_TEST(r.marks_sum == 22);
  BOOST_TEST(r.leaf_rows == 8);
  BOOST_TEST(r.leaf_rows_without_marks == 1);  // 5; 4(c)'s parts are covered by 4(c)
}

BOOST_AUTO_TEST_CASE(marks_matching_total_need_no_review) {
  std::vector<PageText> pages = {page(1, Strings{"The total mark for this paper is 9."}),
                                 page(2, Strings{"1 First. [4]", "2 Second. [5]"})};
  std::vector<ex::Question> qs = {row("1", "", 4, 2), row("2", "", 5, 2)};
  auto r = ex::review_paper(pages, qs);
  BOOST_TEST(!r.needed, all_details(r));
  BOOST_TEST(r.reasons.empty());
  BOOST_TEST(r.marks_match);
  BOOST_TEST(r.marks_sum == 9);
  BOOST_TEST(r.details.empty());
}

BOOST_AUTO_TEST_CASE(marks_short_of_the_stated_total_need_review) {
  std::vector<PageText> pages = {page(1, Strings{"The total mark for this paper is 12."}), page(2, Strings{"1 First. [4]"})};
  std::vector<ex::Question> qs = {row("1", "", 4, 2), row("2", "", std::nullopt, 2)};
  auto r = ex::review_paper(pages, qs);
  BOOST_TEST(r.needed);
  BOOST_TEST(r.reasons == Strings{"marks_total_mismatch"}, boost::test_tools::per_element());
  BOOST_TEST(!r.marks_match);
  BOOST_TEST(r.marks_sum == 4);
  BOOST_TEST_REQUIRE(r.details.size() == 1u);
  BOOST_TEST(r.details[0].message.find("add up to 4; the paper states 12") != std::string::npos, r.details[0].message);
  BOOST_TEST(r.details[0].message.find("1 of 2 leaf rows have no marks") != std::string::npos, r.details[0].message);
}

BOOST_AUTO_TEST_CASE(a_stated_total_with_no_marks_read_is_reported_as_such) {
  std::vector<PageText> pages = {page(1, Strings{"Maximum marks: 40"}), page(2, Strings{"1 First."})};
  auto r = ex::review_paper(pages, {row("1", "", std::nullopt, 2), row("2", "", std::nullopt, 2)});
  BOOST_TEST(r.reasons == Strings{"no_marks_read"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_stated_total_alone_is_no_reason_for_review) {
  std::vector<PageText> pages = {page(1, Strings{"Exam in Functional Programming"}), page(2, Strings{"Problem 1 ..."})};
  auto r = ex::review_paper(pages, plain_questions(3, 5));
  BOOST_TEST(!r.needed, all_details(r));
  BOOST_TEST(!r.stated_total.has_value());
  BOOST_TEST(!r.marks_match);
  BOOST_TEST(r.marks_sum == 15);
}

BOOST_AUTO_TEST_CASE(question_total_mismatch_names_the_question) {
  std::vector<PageText> pages = {page(2, Strings{"1 (a) First. (2)", "(b) Second. (3)", "(Total for Question 1 = 6 marks)"}),
                                 page(3, Strings{"2 Third. (4)", "(Total for Question 2 = 4 marks)"})};
  std::vector<ex::Question> qs = {row("1(a)", "1", 2, 2), row("1(b)", "1", 3, 2), row("2", "", 4, 3)};
  auto r = ex::review_paper(pages, qs);
  BOOST_TEST(r.reasons == Strings{"question_total_mismatch"}, boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(r.details.size() == 1u);
  BOOST_TEST(r.details[0].message == "question 1: the marks read add up to 5; the paper says 6 (page 2)");
}

BOOST_AUTO_TEST_SUITE_END()

// ---- numbering ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(numbering)

BOOST_AUTO_TEST_CASE(numbering_gap_flags_review) {
  std::vector<ex::Question> qs = {row("1", "", 2, 2), row("2", "", 2, 2), row("4", "", 2, 3), row("5", "", 2, 3)};
  auto r = ex::review_paper({}, qs);
  BOOST_TEST(r.reasons == Strings{"numbering_gap"}, boost::test_tools::per_element());
  BOOST_TEST(r.missing_numbers == Strings{"3"}, boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(r.details.size() == 1u);
  BOOST_TEST(r.details[0].message == "no question 3 (read 2, then 4)");
}

BOOST_AUTO_TEST_CASE(a_paper_starting_after_question_1_has_a_gap) {
  auto check = ex::check_numbering({row("2", "", 1, 1), row("3", "", 1, 1)});
  BOOST_TEST(check.missing == Strings{"1"}, boost::test_tools::per_element());
  BOOST_TEST(check.gap_messages.at(0) == "no question 1 (question 2 is the first read)");
}

BOOST_AUTO_TEST_CASE(missing_parts_are_gaps_in_every_label_style) {
  auto check = ex::check_numbering({
      row("1(a)", "1", 1, 2), row("1(c)", "1", 1, 2),                  // letters
      row("2(a)(i)", "2(a)", 1, 2), row("2(a)(iii)", "2(a)", 1, 2),    // roman
      row("3(1)", "3", 1, 3), row("3(3)", "3", 1, 3),                  // numbered items
      row("4(B)", "4", 1, 4),                                          // capital parts
  });
  BOOST_TEST(check.missing == (Strings{"1(b)", "2(a)(ii)", "3(2)", "4(A)"}), boost::test_tools::per_element());
  BOOST_TEST(check.gap_messages.at(0) == "no 1(b) (read 1(a), then 1(c))");
  // AQA's boxed numbers: zero-padded questions, dotted parts.
  auto aqa = ex::check_numbering({row("01.1", "01", 1, 2), row("01.3", "01", 1, 2), row("03", "", 1, 3)});
  BOOST_TEST(aqa.missing == (Strings{"02", "01.2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(numbering_repeat_flags_review) {
  std::vector<ex::Question> qs = {row("1", "", 1, 2), row("2", "", 1, 2), row("3(a)", "3", 1, 3), row("3(b)", "3", 1, 3),
                                  row("3(b)", "3", 1, 4), row("1", "", 1, 5)};
  auto r = ex::review_paper({}, qs);
  BOOST_TEST(r.reasons == Strings{"numbering_repeat"}, boost::test_tools::per_element());
  BOOST_TEST(r.repeated_numbers == (Strings{"3(b)", "1"}), boost::test_tools::per_element());
  BOOST_TEST(all_details(r).find("3(b) is read more than once (again on page 4)") != std::string::npos, all_details(r));
  BOOST_TEST(all_details(r).find("question 1 is read again after question 3 (page 5)") != std::string::npos, all_details(r));
}

BOOST_AUTO_TEST_CASE(clean_numbering_with_stems_and_implied_parents_is_not_flagged) {
  auto check = ex::check_numbering({
      row("1", "", std::nullopt, 2),  row("1(a)(i)", "1(a)", 1, 2), row("1(a)(ii)", "1(a)", 1, 2),  // 1(a) has no row
      row("1(b)", "1", 1, 2),         row("2(a)", "2", 1, 3),      row("2(b)", "2", 1, 3),
      row("2(c)", "2", 1, 3),         row("2(d)", "2", 1, 3),      row("2(e)", "2", 1, 3),
      row("2(f)", "2", 1, 3),         row("2(g)", "2", 1, 3),      row("2(h)", "2", 1, 3),
      row("2(i)", "2", 1, 3),         // (i) after (h) is a letter, not a roman one
      row("01", "", std::nullopt, 4), // "01" is question 1 again: repeated, checked below
  });
  BOOST_TEST(check.missing.empty(), check.gap_messages.size());
  BOOST_TEST(check.repeated == Strings{"01"}, boost::test_tools::per_element());
  BOOST_TEST(ex::check_numbering({row("Bonus", "", 2, 5), row("1", "", 1, 2)}).missing.empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- pages ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(pages)

BOOST_AUTO_TEST_CASE(a_page_of_wording_between_questions_without_a_question_flags_review) {
  std::vector<PageText> pages = {page(1, prose(80, 1)), page(2, Strings{"1 First. [1]"} + prose(40, 2)),
                                 page(3, prose(40, 3)), page(4, Strings{"2 Second. [1]"}), page(5, prose(200, 5))};
  auto r = ex::review_paper(pages, {row("1", "", 1, 2), row("2", "", 1, 4)});
  BOOST_TEST(r.reasons == Strings{"pages_without_questions"}, boost::test_tools::per_element());
  BOOST_TEST(r.pages_without_questions == std::vector<int>{3}, boost::test_tools::per_element());
  BOOST_TEST(r.details.at(0).message == "page 3 has 40 words of text but no question was read on it");
}

BOOST_AUTO_TEST_CASE(continuation_pages_of_a_paper_whose_marks_add_up_are_not_flagged) {
  // A code listing fills page 3 for question 1; the marks prove no question is missing.
  std::vector<PageText> pages = {page(1, Strings{"Total Points: 2"}), page(2, Strings{"1 First. (1 point)"}),
                                 page(3, prose(120, 3)), page(4, Strings{"2 Second. (1 point)"})};
  auto r = ex::review_paper(pages, {row("1", "", 1, 2), row("2", "", 1, 4)});
  BOOST_TEST(!r.needed, all_details(r));
  BOOST_TEST(r.marks_match);
  // The same paper without a stated total: nothing proves page 3 holds no question.
  pages[0] = page(1, Strings{"Web Development exam"});
  BOOST_TEST(ex::review_paper(pages, {row("1", "", 1, 2), row("2", "", 1, 4)}).reasons ==
                 Strings{"pages_without_questions"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(cover_blank_and_trailing_pages_are_not_flagged) {
  std::vector<PageText> pages = {page(1, prose(300, 1)),                                // cover, instructions
                                 page(2, Strings{"1 First. [1]"}),
                                 page(3, Strings{"BLANK PAGE", "Question 2 begins on the next page."}),
                                 page(4, Strings{"2 Second. [1]"}),
                                 page(5, prose(300, 5))};                               // formulae at the end
  auto r = ex::review_paper(pages, {row("1", "", 1, 2), row("2", "", 1, 4)});
  BOOST_TEST(!r.needed, all_details(r));
}

BOOST_AUTO_TEST_CASE(margin_notices_headers_and_answer_lines_are_not_wording) {
  // Every page repeats a margin notice at the same place, has a running header and footer, and
  // page 3 has nothing else but answer lines.
  auto furnished = [](int n, Strings lines) {
    PageText p = page(n, lines, 200);
    for (double y : {100.0, 300.0, 500.0, 700.0}) {
      auto notice = words_at(20, y, "DO NOT WRITE IN THIS AREA DO NOT WRITE IN THIS AREA");
      p.words.insert(p.words.end(), notice.begin(), notice.end());
    }
    auto header = words_at(200, 20, "Cambridge International AS & A Level Computer Science 9618/12 page " + std::to_string(n));
    auto footer = words_at(200, 815, "© UCLES 2023 9618/12/O/N/23 [Turn over");
    p.words.insert(p.words.end(), header.begin(), header.end());
    p.words.insert(p.words.end(), footer.begin(), footer.end());
    return p;
  };
  Strings answer_lines(20, "........................................................................");
  std::vector<PageText> pages = {furnished(1, {"Cover"}), furnished(2, {"1 First. [1]"}), furnished(3, answer_lines),
                                 furnished(4, {"2 Second. [1]"})};
  BOOST_TEST(ex::wording_counts(pages).at(2) == 0);
  auto r = ex::review_paper(pages, {row("1", "", 1, 2), row("2", "", 1, 4)});
  BOOST_TEST(!r.needed, all_details(r));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- OCR and empty results ----------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(reading)

BOOST_AUTO_TEST_CASE(low_ocr_confidence_flags_review) {
  PageText poor = page(2, Strings{"1 First. [1]"} + prose(30, 2));
  poor.source = examq::pdf::TextSource::ocr;
  poor.ocr_confidence = 41.6;
  PageText clean = page(3, Strings{"2 Second. [1]"} + prose(30, 3));
  clean.source = examq::pdf::TextSource::ocr;
  clean.ocr_confidence = 88;
  PageText blank = page(4, Strings{"'", "."});  // specks on an empty scanned page
  blank.source = examq::pdf::TextSource::ocr;
  blank.ocr_confidence = 0;
  auto r = ex::review_paper({poor, clean, blank}, {row("1", "", 1, 2), row("2", "", 1, 3)});
  BOOST_TEST(r.reasons == Strings{"low_ocr_confidence"}, boost::test_tools::per_element());
  BOOST_TEST(r.low_ocr_confidence_pages == std::vector<int>{2}, boost::test_tools::per_element());
  BOOST_TEST(r.details.at(0).message == "page 2 was read by OCR with a mean confidence of 42%");
}

// A born-digital paper whose only unreadable page is a graph: OCR reads it as noise, but the
// marks add up and no question lives there, so nothing is hidden.
BOOST_AUTO_TEST_CASE(a_noisy_ocr_page_without_questions_in_a_paper_that_adds_up_needs_no_review) {
  PageText cover = page(1, Strings{"The total mark for this paper is 2."});
  PageText text = page(2, Strings{"1 First. [1]", "2 Second. [1]"});
  PageText graph = page(3, prose(40, 3));
  graph.source = examq::pdf::TextSource::ocr;
  graph.ocr_confidence = 30;
  const std::vector<ex::Question> qs = {row("1", "", 1, 2), row("2", "", 1, 2)};
  auto r = ex::review_paper({cover, text, graph}, qs);
  BOOST_TEST(!r.needed, all_details(r));
  // The same page holding a question is reported: its wording may be misread.
  auto on_page = ex::review_paper({cover, text, graph}, {row("1", "", 1, 2), row("2", "", 1, 3)});
  BOOST_TEST(has_reason(on_page, "low_ocr_confidence"), all_details(on_page));
}

BOOST_AUTO_TEST_CASE(a_page_ocr_could_not_read_flags_review) {
  PageText failed = page(3, {});
  failed.ocr_error = "image too large for the memory limit";
  auto r = ex::review_paper({page(2, Strings{"1 First"}), failed}, {row("1", "", 1, 2)});
  BOOST_TEST(r.reasons == Strings{"ocr_failed"}, boost::test_tools::per_element());
  BOOST_TEST(r.ocr_failed_pages == std::vector<int>{3}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(zero_questions_on_a_text_paper_need_review) {
  auto r = ex::review_paper({page(1, Strings{"The total mark for this paper is 75."} + prose(50))}, {});
  BOOST_TEST(r.needed);
  BOOST_TEST(r.reasons == Strings{"no_questions"}, boost::test_tools::per_element());
  BOOST_TEST(*r.stated_total == 75);
  BOOST_TEST(!r.marks_match);
  BOOST_TEST(r.details.at(0).message.find("no question was recognised, although the paper's 1 page has 58 words") == 0,
             r.details.at(0).message);
}

BOOST_AUTO_TEST_CASE(zero_questions_without_any_text_need_review_too) {
  auto r = ex::review_paper({page(1, {}), page(2, {})}, {});
  BOOST_TEST(r.reasons == Strings{"no_questions"}, boost::test_tools::per_element());
  BOOST_TEST(!r.stated_total.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- real papers --------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(real_papers)

// ../shared/realpapers (or $EXAMQ_REALPAPERS): each paper's stated total as its truth file has it
// (null where the paper states none), and its truth rows, which are exact, need no review for
// their marks or numbering.
BOOST_AUTO_TEST_CASE(stated_totals_of_real_papers_match_their_truth) {
  const char* env = std::getenv("EXAMQ_REALPAPERS");
  const fs::path root = env != nullptr ? fs::path(env) : fs::path(EXAMQ_REALPAPERS_DIR);
  if (!fs::is_directory(root / "truth")) {
    BOOST_TEST_MESSAGE("skipped: no real papers at " << root.string() << " (set EXAMQ_REALPAPERS)");
    return;
  }
  int papers = 0;
  for (const auto& entry : fs::directory_iterator(root / "truth")) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".truth.json")) continue;
    const fs::path pdf = root / "pdf" / (name.substr(0, name.size() - 11) + ".pdf");
    if (!fs::exists(pdf)) continue;
    BOOST_TEST_CONTEXT(pdf.filename().string()) {
      const tao::json::value truth = tao::json::from_file(entry.path().string());
      std::ifstream in(pdf, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      const auto pages = examq::test::poppler_words(bytes.str());
      std::vector<ex::Question> rows;
      for (const auto& q : truth.at("questions").get_array()) {
        std::optional<int> marks;
        if (!q.at("marks").is_null()) marks = q.at("marks").as<int>();
        rows.push_back(row(q.at("number").get_string(), "", marks, q.at("page").as<int>()));
      }
      const auto r = ex::review_paper(pages, rows);
      const tao::json::value* total = truth.find("total_marks");
      if (total == nullptr || total->is_null()) {
        BOOST_TEST(!r.stated_total.has_value(), "read " << r.stated_total.value_or(-1) << " from \"" << r.stated_total_text << "\"");
      } else {
        BOOST_TEST(r.stated_total.value_or(-1) == total->as<int>());
        BOOST_TEST(r.marks_match, all_details(r));
      }
      BOOST_TEST(!has_reason(r, "numbering_gap"), all_details(r));
      BOOST_TEST(!has_reason(r, "numbering_repeat"), all_details(r));
      BOOST_TEST(!has_reason(r, "marks_total_mismatch"), all_details(r));
      ++papers;
    }
  }
  BOOST_TEST(papers > 0);
}

BOOST_AUTO_TEST_SUITE_END()
