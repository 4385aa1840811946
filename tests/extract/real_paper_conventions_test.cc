// The layout and numbering conventions of real published exam papers (Cambridge, Edexcel and
// university papers in ../shared/realpapers), each reproduced on hand-placed words so the rule
// that handles it is pinned without the papers themselves, which the repository must not hold.

#define BOOST_TEST_MODULE real_paper_conventions_test
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "extract/text_extractor.h"
#include "extract_support.h"
#include "synthetic_words.h"

namespace ex = examq::extract;
using examq::test::line_at;
using examq::test::page_of;
using examq::test::words_at;
using examq::test::numbers;
using examq::test::run;
using examq::test::Strings;

namespace {


const ex::Question* find(const std::vector<ex::Question>& qs, const std::string& number) {
  for (const auto& q : qs)
    if (q.number == number) return &q;
  return nullptr;
}

// A word turned sideways, as Edexcel prints "DO NOT WRITE IN THIS AREA" down the margins.
std::vector<examq::pdf::Word> sideways(double x, double y, const char* text) {
  auto words = words_at(x, y, text);
  for (auto& w : words) w.rotation = 1;
  return words;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(question_column)

// Cambridge covers print a vertical barcode of single digits at the page's left edge, left of the
// question numbers; "0 1 3 3 1 4 9 7" must not become question 1.
BOOST_AUTO_TEST_CASE(cover_barcode_digits_left_of_the_questions_are_not_questions) {
  const auto qs = run({page_of(1, {line_at(200, {{18, "0"}}), line_at(210, {{18, "1"}, {56, "COMPUTER SCIENCE 9618/12"}}),
                                   line_at(220, {{18, "3"}}), line_at(230, {{18, "1"}, {56, "You must answer on the paper."}})}),
                       page_of(2, {line_at(60, {{50, "1"}, {72, "A factory makes chocolate bars."}}),
                                   line_at(90, {{72, "(a)"}, {95, "Identify one sensor."}}), line_at(110, {{533, "[1]"}}),
                                   line_at(130, {{72, "(b)"}, {95, "Describe an actuator."}}), line_at(150, {{533, "[2]"}})}),
                       page_of(3, {line_at(60, {{50, "2"}, {72, "State what is meant by an entity."}}),
                                   line_at(90, {{533, "[3]"}})}),
                       page_of(4, {line_at(60, {{50, "3"}, {72, "Convert the denary value."}}),
                                   line_at(90, {{533, "[1]"}})})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "1(a)", "1(b)", "2", "3"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 5u);
  BOOST_TEST(qs[0].page_number == 2);
}

// A table whose first column counts 1..13 runs longer than the paper's questions, but stands
// right of them, on one page.
BOOST_AUTO_TEST_CASE(a_numbered_table_right_of_the_questions_does_not_move_the_column) {
  std::vector<examq::pdf::PageText> pages;
  pages.push_back(page_of(1, {line_at(60, {{50, "1"}, {72, "Describe the array."}}), line_at(80, {{533, "[2]"}})}));
  pages.push_back(page_of(2, {line_at(60, {{50, "2"}, {72, "The table shows the letters."}})}));
  for (int i = 1; i <= 13; ++i) {
    const std::string n = std::to_string(i);
    auto l = line_at(100 + 20 * i, {{226, n}, {260, "Alpha"}});
    pages.back().words.insert(pages.back().words.end(), l.begin(), l.end());
  }
  auto marks = line_at(400, {{533, "[4]"}});
  pages.back().words.insert(pages.back().words.end(), marks.begin(), marks.end());
  pages.push_back(page_of(3, {line_at(60, {{50, "3"}, {72, "Explain validation."}}), line_at(80, {{533, "[1]"}})}));
  const auto qs = run(pages);
  BOOST_TEST(numbers(qs) == (Strings{"1", "2", "3"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 3u);
  BOOST_TEST(*qs[1].marks == 4);
}

// A program listing numbers every line; the questions are the numbers with wording between them.
BOOST_AUTO_TEST_CASE(program_line_numbers_are_not_questions) {
  std::vector<examq::pdf::PageText> pages;
  pages.push_back(page_of(1, {line_at(60, {{60, "1"}, {80, "Backend Development (18P)"}}),
                              words_at(80, 80, "Complete the code snippet below.")}));
  for (int i = 1; i <= 12; ++i) {
    auto l = line_at(100 + 14 * i, {{84, std::to_string(i)}, {100, "var x = 1;"}});
    pages.back().words.insert(pages.back().words.end(), l.begin(), l.end());
  }
  pages.push_back(page_of(2, {line_at(60, {{60, "2"}, {80, "REST APIs (15P)"}}), words_at(80, 80, "Imagine an API.")}));
  const auto qs = run(pages);
  BOOST_TEST(numbers(qs) == (Strings{"1", "2"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 2u);
  BOOST_TEST(*qs[0].marks == 18);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(edexcel_layout)

// Edexcel: spaced-dot answer lines, "(2)" marks at the right margin, sideways margin text and a
// "(Total for Question 1 = 3 marks)" line.
BOOST_AUTO_TEST_CASE(spaced_dot_answer_lines_and_sideways_margins_are_not_wording) {
  auto page = page_of(3, {line_at(100, {{71, "1"}, {89, "(a)"}, {108, "Describe the particles in a solid."}}),
                          line_at(130, {{130, ". . . . . . . . . . . . . . . . . . . . . . . . . . ."}}),
                          line_at(160, {{130, ". . . . . . . . . . . . . . . . . . . . . . . . . . ."}, {524, "(2)"}}),
                          line_at(190, {{89, "(b)"}, {108, "Name the change of state."}}),
                          line_at(220, {{524, "(1)"}}),
                          line_at(250, {{370, "(Total for Question 1 = 3 marks)"}})});
  for (double y : {120.0, 240.0, 400.0}) {
    auto m = sideways(4, y, "DO NOT WRITE IN THIS AREA");
    page.words.insert(page.words.end(), m.begin(), m.end());
  }
  const auto qs = run({page});
  BOOST_TEST(numbers(qs) == (Strings{"1(a)", "1(b)"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 2u);
  BOOST_TEST(qs[0].text == "Describe the particles in a solid.");
  BOOST_TEST(*qs[0].marks == 2);
  BOOST_TEST(*qs[1].marks == 1);
}

// Mathematics papers print no marks on parts, only the question's total.
BOOST_AUTO_TEST_CASE(a_question_total_is_the_marks_of_a_question_whose_parts_print_none) {
  const auto qs = run({page_of(3, {line_at(100, {{71, "1"}, {89, "(a)"}, {108, "Factorise fully 4p + 6pq"}}),
                                   line_at(150, {{89, "(b)"}, {108, "Expand (e + 3)(e - 5)"}}),
                                   line_at(250, {{370, "(Total for Question 1 is 7 marks)"}}),
                                   line_at(300, {{71, "2"}, {89, "Work out 3 + 4"}}),
                                   line_at(350, {{370, "(Total for Question 2 is 1 mark)"}})})});
  const auto* q1 = find(qs, "1");
  BOOST_TEST_REQUIRE(q1 != nullptr);
  BOOST_TEST_REQUIRE(q1->marks.has_value());
  BOOST_TEST(*q1->marks == 7);
  BOOST_TEST(!find(qs, "1(a)")->marks.has_value());
  BOOST_TEST(*find(qs, "2")->marks == 1);
}

// "(f )" with a space inside the bracket, as one Edexcel paper sets it, is still part (f).
BOOST_AUTO_TEST_CASE(a_label_split_by_a_space_inside_its_brackets_is_one_label) {
  const auto qs = run({page_of(1, {line_at(100, {{71, "1"}, {89, "(a)"}, {108, "Define a substitute."}}),
                                   line_at(120, {{524, "(1)"}}),
                                   line_at(150, {{89, "(b"}, {98, ")"}, {108, "Calculate the elasticity."}}),
                                   line_at(170, {{524, "(2)"}}),
                                   line_at(200, {{89, "("}, {92, "c)"}, {108, "Analyse the decision."}}),
                                   line_at(220, {{524, "(6)"}})})});
  BOOST_TEST(numbers(qs) == (Strings{"1(a)", "1(b)", "1(c)"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(university_numbering)

// Gothenburg: "Problem 1 (2 points)" with parts "(a) (1 point)".
BOOST_AUTO_TEST_CASE(problems_with_marks_after_their_labels) {
  const auto qs = run({page_of(2, {words_at(92, 98, "Problem 1 (2 points)"),
                                   words_at(111, 112, "Write negations of the following statements."),
                                   words_at(115, 132, "(a) (1 point) There exists a real number x."),
                                   words_at(115, 152, "(b) (1 point) For all real numbers x."),
                                   words_at(92, 173, "Problem 2 (3 points)"),
                                   words_at(111, 187, "Prove the following statement.")})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "1(a)", "1(b)", "2"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 4u);
  BOOST_TEST(*qs[1].marks == 1);
  BOOST_TEST(qs[1].text == "There exists a real number x.");
  BOOST_TEST(*qs[3].marks == 3);
}

// DTU: "Problem 1 (20%)" whose parts are a numbered list "1." "2.", a part's items a list
// restarting at "1." further right. A cover line naming every problem is not problem 1.
BOOST_AUTO_TEST_CASE(numbered_lists_under_named_problems_are_parts_and_items) {
  const auto qs = run({page_of(1, {words_at(72, 100, "Problem 1: 30%, Problem 2: 70%")}),
                       page_of(2, {words_at(72, 110, "Problem 1 (30%)"), words_at(72, 140, "1. Declare a function repeat."),
                                   words_at(72, 170, "2. Reconsider the function repeat."),
                                   words_at(98, 190, "1. Make a tail-recursive variant."),
                                   words_at(98, 210, "2. Make a continuation-based variant."),
                                   words_at(72, 250, "Problem 2 (70%)"), words_at(72, 280, "1. Declare mixMap.")})});
  // "(30%)" is a weight, not marks: it stays as the problem's own wording, so the problems have rows.
  BOOST_TEST(numbers(qs) == (Strings{"1", "1.1", "1.2", "1.2(1)", "1.2(2)", "2", "2.1"}),
             boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(!qs.empty());
  BOOST_TEST(qs[0].page_number == 2);
}

// Melbourne: "Q.1. ( a) [1 marks]" with sub-parts "i." "ii.".
BOOST_AUTO_TEST_CASE(prefixed_questions_split_labels_and_dotted_sub_parts) {
  const auto qs = run({page_of(2, {line_at(113, {{67, "Q.1."}, {95, "("}, {99, "a)"}, {110, "[1 marks] Why is this the case?"}}),
                                   line_at(161, {{102, "("}, {106, "b)"}, {117, "[3 marks] Consider a printer."}}),
                                   words_at(137, 180, "i. Is this a distributed system?"),
                                   words_at(133, 200, "ii. Explain a reason."),
                                   words_at(67, 230, "Q.2. [5 marks] List four approaches.")})});
  BOOST_TEST(numbers(qs) == (Strings{"1(a)", "1(b)", "1(b)(i)", "1(b)(ii)", "2"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 5u);
  BOOST_TEST(*qs[0].marks == 1);
  BOOST_TEST(*qs[1].marks == 3);
  BOOST_TEST(*qs[4].marks == 5);
}

// Chalmers: "Basic question 1: Complexity", "Advanced question 8" with "Part A" / "Part B".
BOOST_AUTO_TEST_CASE(qualified_question_words_and_named_parts) {
  const auto qs = run({page_of(1, {words_at(57, 91, "Basic question 1: Complexity"), words_at(57, 126, "Here is a function.")}),
                       page_of(2, {words_at(57, 85, "Advanced question 2: Cyclic order"), words_at(57, 120, "Let A be an array."),
                                   words_at(57, 171, "Part A"), words_at(57, 194, "Find the minimum."),
                                   words_at(57, 236, "Part B"), words_at(57, 258, "Find an element.")})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "2", "2(A)", "2(B)"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 4u);
  BOOST_TEST(qs[2].text == "Find the minimum.");
}

// Gothenburg: sections "1 Backend (18P)" with "Q 2.1: (2P)" parts.
BOOST_AUTO_TEST_CASE(dotted_prefixed_parts_under_bare_sections) {
  const auto qs = run({page_of(1, {line_at(100, {{89, "1"}, {110, "Backend Development (18P)"}}), words_at(89, 130, "Write an endpoint.")}),
                       page_of(2, {line_at(100, {{89, "2"}, {110, "REST APIs (6P)"}}), words_at(89, 130, "Imagine an API."),
                                   words_at(89, 160, "Q 2.1: (2P) Describe the functionality."),
                                   words_at(89, 200, "Q 2.2: (4P) Compare POST and PATCH.")}),
                       page_of(3, {line_at(100, {{89, "3"}, {110, "Testing (8P)"}}), words_at(89, 130, "Imagine a wiki.")})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "2", "2.1", "2.2", "3"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 5u);
  BOOST_TEST(*qs[2].marks == 2);
  BOOST_TEST(*qs[4].marks == 8);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(scanned_university_papers)

// Gothenburg: "Problem 1 (12 points)" with parts "1.1." "1.2." whose marks close them; a hint's
// list "(a)" "(b)" after a part's closing marks is wording, not its parts.
BOOST_AUTO_TEST_CASE(dotted_parts_and_a_hint_list_after_closing_marks) {
  const auto qs = run({page_of(3, {words_at(137, 148, "Problem 1 (14 points)"), words_at(137, 169, "We are given a tree."),
                                   words_at(137, 321, "1.1. Argue why this algorithm is optimal."),
                                   words_at(137, 334, "Give the proof. (12 points)"),
                                   words_at(137, 358, "Hint: argue in a few steps:"),
                                   words_at(137, 372, "(a) Why is the solution valid?"),
                                   words_at(137, 385, "(b) How often is every edge traversed?"),
                                   words_at(137, 461, "1.2. What is the running time? (2 points)")})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "1.1", "1.2"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 3u);
  BOOST_TEST(*qs[1].marks == 12);
  BOOST_TEST(qs[1].text.find("(a) Why is the solution valid?") != std::string::npos);
  BOOST_TEST(*qs[2].marks == 2);
}

// Melbourne 2006: "(1) (a) ..." numbers in brackets, "(4 marks)" under the last part at the parts'
// indent is the question's; a grammar's "(0)" "(1)" rules far right are not parts.
BOOST_AUTO_TEST_CASE(bracketed_question_numbers_and_question_marks_under_the_last_part) {
  const auto qs = run({page_of(2, {line_at(70, {{68, "(1)"}, {97, "(a) Write a lex pattern."}}),
                                   words_at(97, 124, "(b) Where should you declare f?"),
                                   words_at(97, 151, "(4 marks)"),
                                   line_at(181, {{67, "(2)"}, {97, "Consider the following grammar:"}}),
                                   line_at(200, {{189, "(0)"}, {210, "S' -> S $"}}),
                                   line_at(214, {{189, "(1)"}, {210, "S -> a"}}),
                                   words_at(97, 240, "Give the leftmost derivation."),
                                   words_at(97, 260, "(5 marks)")})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "1(a)", "1(b)", "2"}), boost::test_tools::per_element());
  const auto* q1 = find(qs, "1");
  BOOST_TEST_REQUIRE(q1 != nullptr);  // marked, so it is a row of its own
  BOOST_TEST(*q1->marks == 4);
  BOOST_TEST(!find(qs, "1(b)")->marks.has_value());
  BOOST_TEST(*find(qs, "2")->marks == 5);
}

// "Question 1  12 marks": the unit after the label makes the number marks, bracket or not; a
// scan that lost a strong label ("(11)" read as "1)") does not lose the questions after it.
BOOST_AUTO_TEST_CASE(unbracketed_marks_after_a_label_and_one_lost_label) {
  const auto qs = run({page_of(2, {line_at(125, {{70, "Question"}, {115, "1"}, {140, "12 marks"}}),
                                   words_at(70, 150, "This question is about languages."),
                                   line_at(300, {{70, "Question"}, {115, "2"}, {140, "[8 marks"}}),
                                   words_at(70, 325, "This question is about parsing."),
                                   line_at(500, {{70, "Question"}, {115, "4"}, {140, "5 marks"}}),
                                   words_at(70, 525, "This question is about types.")})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "2", "4"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 3u);
  BOOST_TEST(*qs[0].marks == 12);
  BOOST_TEST(*qs[1].marks == 8);
  BOOST_TEST(qs[0].text == "This question is about languages.");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ocr_reading)

// OCR reads sideways margin text as short junk that joins the lines beside it, and "(1 pt.)" as
// "(I pt.)"; on a scanned page neither may cost a label or a mark.
BOOST_AUTO_TEST_CASE(margin_junk_and_misread_ones_on_scanned_pages) {
  auto page = page_of(3, {line_at(119, {{72, "1"}, {90, "This question is about states of matter."}}),
                          line_at(142, {{42, "<"}, {90, "(a)"}, {108, "Name the change from solid to liquid."}}),
                          line_at(160, {{525, "(2)"}, {580, "im"}}),
                          line_at(190, {{40, "ps"}, {90, "(b)"}, {108, "Describe a solid. (I pt.)"}})});
  page.source = examq::pdf::TextSource::ocr;
  page.ocr_confidence = 90;
  const auto qs = run({page});
  BOOST_TEST(numbers(qs) == (Strings{"1", "1(a)", "1(b)"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 3u);
  BOOST_TEST(qs[1].text == "Name the change from solid to liquid.");
  BOOST_TEST_REQUIRE(qs[1].marks.has_value());
  BOOST_TEST(*qs[1].marks == 2);
  BOOST_TEST_REQUIRE(qs[2].marks.has_value());
  BOOST_TEST(*qs[2].marks == 1);
  BOOST_TEST(qs[2].source == "ocr");
}

// A label lost by OCR ("(i)" under a figure) does not lose the parts after it on a scan.
BOOST_AUTO_TEST_CASE(a_part_after_a_lost_label_is_kept_on_scanned_pages) {
  auto page = page_of(6, {line_at(90, {{72, "1"}, {90, "(a)"}, {108, "Explain the pencil line."}}),
                          line_at(105, {{525, "(2)"}}),
                          line_at(245, {{90, "(b)"}, {108, "The chromatogram shows the inks."}}),
                          line_at(545, {{525, "(2)"}}),
                          line_at(629, {{108, "(ii)"}, {126, "Explain which ink is most soluble."}}),
                          line_at(657, {{525, "(2)"}})});
  page.source = examq::pdf::TextSource::ocr;
  const auto qs = run({page});
  BOOST_TEST(numbers(qs) == (Strings{"1(a)", "1(b)", "1(b)(ii)"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(boxed_numbers)

// AQA's boxed "0 1 . 1" comes out of some fonts as "0" "1." "1": still question 01, part 1.
BOOST_AUTO_TEST_CASE(a_boxed_number_with_the_dot_glued_to_its_second_digit) {
  const auto qs = run({page_of(2, {line_at(100, {{50, "0"}, {64, "1"}, {90, "This question is about metals."}}),
                                   line_at(130, {{50, "0"}, {64, "1."}, {76, "1"}, {90, "Name a metal."}}),
                                   line_at(144, {{480, "[1 mark]"}}),
                                   line_at(170, {{50, "0"}, {64, "1."}, {76, "2"}, {90, "Name an alloy."}}),
                                   line_at(184, {{480, "[2 marks]"}})})});
  BOOST_TEST(numbers(qs) == (Strings{"01", "01.1", "01.2"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 3u);
  BOOST_TEST(*qs[2].marks == 2);
}

BOOST_AUTO_TEST_SUITE_END()

