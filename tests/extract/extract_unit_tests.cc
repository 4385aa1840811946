// Unit tests of the text extractor's pieces on hand-placed words: marks, numbering, leaders,
// lines, furniture, columns and the segmenter's decisions on tricky lines.

#define BOOST_TEST_MODULE extract_unit_tests
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <limits>
#include <stop_token>

#include "extract/dot_leaders.h"
#include "extract/line_builder.h"
#include "extract/ocr_labels.h"
#include "extract/marks_parser.h"
#include "extract/page_furniture.h"
#include "extract/question_numbering.h"
#include "extract/reading_order.h"
#include "extract/text_extractor.h"
#include "extract_support.h"
#include "synthetic_words.h"

namespace ex = examq::extract;
using examq::test::line_at;
using examq::test::page_of;
using examq::test::words_at;
using examq::test::numbers;
using examq::test::repaired;
using examq::test::run;
using examq::test::Strings;


// ---- marks ----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(marks_parser)

BOOST_AUTO_TEST_CASE(marks_labels_in_every_printed_form_are_read) {
  const std::pair<const char*, int> cases[] = {
      {"[2]", 2},       {"[2 marks]", 2},  {"[1 mark]", 1},    {"(2 marks)", 2}, {"(4 points)", 4},
      {"(1 point)", 1}, {"[ 3 ]", 3},      {"[12 MARKS]", 12}, {"(3 pts)", 3},
  };
  for (const auto& [text, value] : cases) {
    BOOST_TEST_CONTEXT(text) {
      const auto m = ex::parse_marks_label(text);
      BOOST_TEST_REQUIRE(m.has_value());
      BOOST_TEST(m->value == value);
      BOOST_TEST((m->kind == ex::MarksLabel::Kind::marks));
    }
  }
}

BOOST_AUTO_TEST_CASE(totals_are_read_as_totals_not_marks) {
  const std::pair<const char*, int> cases[] = {
      {"[Total: 7]", 7},
      {"[Total 7 marks]", 7},
      {"(Total for Question 3 = 6 marks)", 6},
      {"(Total for question 2 is 9 marks)", 9},
      {"(Total 10 marks)", 10},
  };
  for (const auto& [text, value] : cases) {
    BOOST_TEST_CONTEXT(text) {
      const auto m = ex::parse_marks_label(text);
      BOOST_TEST_REQUIRE(m.has_value());
      BOOST_TEST(m->value == value);
      BOOST_TEST((m->kind == ex::MarksLabel::Kind::total));
    }
  }
}

BOOST_AUTO_TEST_CASE(brackets_that_are_not_marks_are_refused) {
  for (const char* text : {"[ ]", "(a)", "(see Figure 2)", "[2 m]", "(2)", "[two]", "(2 moles)", "[2"})
    BOOST_TEST(!ex::parse_marks_label(text).has_value(), text);
}

BOOST_AUTO_TEST_CASE(trailing_marks_span_the_last_words_of_a_line) {
  const auto words = line_at(100, {{95, "Name the gas given off."}, {480, "[2 marks]"}});
  const auto m = ex::parse_trailing_marks(words);
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->label.value == 2);
  BOOST_TEST(m->word_count == 2u);
}

BOOST_AUTO_TEST_CASE(the_rightmost_opening_bracket_decides) {
  const auto with_marks = words_at(95, 100, "Use your answer (see part (a)) [2]");
  BOOST_TEST(ex::parse_trailing_marks(with_marks)->label.value == 2);
  BOOST_TEST(!ex::parse_trailing_marks(words_at(95, 100, "Give the energy change (in kJ)")).has_value());
  BOOST_TEST(!ex::parse_trailing_marks(words_at(95, 100, "Give the answer in [units]")).has_value());
}

BOOST_AUTO_TEST_CASE(a_bare_parenthesised_number_is_marks_only_when_set_apart) {
  BOOST_TEST(!ex::parse_trailing_marks(words_at(95, 100, "as shown in equation (3)")).has_value());
  const auto apart = line_at(100, {{95, "Explain your answer."}, {520, "(3)"}});
  BOOST_TEST(ex::parse_trailing_marks(apart)->label.value == 3);
  BOOST_TEST(ex::parse_trailing_marks(words_at(520, 100, "(3)"))->label.value == 3);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- numbering ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(question_numbering)

BOOST_AUTO_TEST_CASE(bare_numbers_are_recognised_with_their_punctuation) {
  auto l = ex::parse_line_labels(words_at(50, 100, "1 Describe the test."), false);
  BOOST_TEST_REQUIRE(l.tokens.size() == 1u);
  BOOST_TEST(l.tokens[0].value == 1);
  BOOST_TEST((l.tokens[0].style == ex::NumberStyle::bare));
  BOOST_TEST(!l.tokens[0].punctuated);
  BOOST_TEST(l.gap_after_question == examq::test::kSpaceWidth);

  for (const char* text : {"12. Describe", "12) Describe"}) {
    l = ex::parse_line_labels(words_at(50, 100, text), false);
    BOOST_TEST_REQUIRE(l.tokens.size() == 1u);
    BOOST_TEST(l.tokens[0].value == 12);
    BOOST_TEST(l.tokens[0].punctuated);
  }
}

BOOST_AUTO_TEST_CASE(prefixed_numbers_are_recognised) {
  const std::pair<const char*, int> cases[] = {{"Q1. State", 1}, {"Q.3 State", 3}, {"Question 2", 2},
                                               {"QUESTION 4: State", 4}, {"Q 5 State", 5}, {"Q12 State", 12}};
  for (const auto& [text, value] : cases) {
    BOOST_TEST_CONTEXT(text) {
      const auto l = ex::parse_line_labels(words_at(50, 100, text), false);
      BOOST_TEST_REQUIRE(l.tokens.size() == 1u);
      BOOST_TEST(l.tokens[0].value == value);
      BOOST_TEST((l.tokens[0].style == ex::NumberStyle::prefixed));
    }
  }
  BOOST_TEST(ex::parse_line_labels(words_at(50, 100, "question 2 asks"), false).tokens.empty());
}

BOOST_AUTO_TEST_CASE(boxed_numbers_are_recognised_as_separate_or_merged_digits) {
  auto l = ex::parse_line_labels(line_at(100, {{54, "0"}, {68, "1"}, {110, "This question is about metals."}}), false);
  BOOST_TEST_REQUIRE(l.tokens.size() == 1u);
  BOOST_TEST(l.tokens[0].value == 1);
  BOOST_TEST((l.tokens[0].style == ex::NumberStyle::boxed));
  BOOST_TEST(!l.tokens[0].numeric_part.has_value());

  l = ex::parse_line_labels(line_at(100, {{54, "0"}, {68, "1"}, {82, "."}, {90, "2"}, {110, "Name"}}), false);
  BOOST_TEST_REQUIRE(l.tokens.size() == 1u);
  BOOST_TEST(l.tokens[0].value == 1);
  BOOST_TEST(*l.tokens[0].numeric_part == 2);
  BOOST_TEST(l.tokens[0].end_word == 4u);

  l = ex::parse_line_labels(line_at(100, {{54, "01.2"}, {110, "Name"}}), false);
  BOOST_TEST(*l.tokens.at(0).numeric_part == 2);

  // "1 2" is question 12 only in a paper already known to box its numbers.
  const auto twelve = line_at(100, {{54, "1"}, {68, "2"}, {110, "Describe"}});
  BOOST_TEST(ex::parse_line_labels(twelve, true).tokens.at(0).value == 12);
  BOOST_TEST(ex::parse_line_labels(twelve, false).tokens.at(0).value == 1);
}

BOOST_AUTO_TEST_CASE(part_labels_follow_a_number_or_start_a_line) {
  auto l = ex::parse_line_labels(line_at(100, {{50, "1"}, {72, "(a)"}, {95, "(i)"}, {120, "State it."}}), false);
  BOOST_TEST_REQUIRE(l.tokens.size() == 3u);
  BOOST_TEST(l.tokens[1].label == "a");
  BOOST_TEST(l.tokens[2].label == "i");

  l = ex::parse_line_labels(words_at(50, 100, "1(a)(ii) State it."), false);
  BOOST_TEST_REQUIRE(l.tokens.size() == 3u);
  BOOST_TEST(l.tokens[0].punctuated);
  BOOST_TEST(l.tokens[2].label == "ii");

  l = ex::parse_line_labels(words_at(80, 100, "b) Calculate"), false);
  BOOST_TEST_REQUIRE(l.tokens.size() == 1u);
  BOOST_TEST(l.tokens[0].label == "b");

  for (const char* text : {"(the) end", "(A) oxygen", "(iiii) no", "(ab) no", "the (a) part"})
    BOOST_TEST(ex::parse_line_labels(words_at(80, 100, text), false).tokens.empty(), text);
}

BOOST_AUTO_TEST_CASE(a_number_inside_a_sentence_is_not_a_label) {
  BOOST_TEST(ex::parse_line_labels(words_at(50, 100, "the 2 moles"), false).tokens.empty());
  BOOST_TEST(ex::parse_line_labels(words_at(50, 100, "1.5 kg of water"), false).tokens.empty());
  BOOST_TEST(ex::parse_line_labels(words_at(50, 100, "2023 results"), false).tokens.empty());
}

BOOST_AUTO_TEST_CASE(roman_numerals_are_canonical_only) {
  BOOST_TEST(ex::roman_value("i") == 1);
  BOOST_TEST(ex::roman_value("iv") == 4);
  BOOST_TEST(ex::roman_value("ix") == 9);
  BOOST_TEST(ex::roman_value("xiv") == 14);
  BOOST_TEST(ex::roman_value("xxxix") == 39);
  for (const char* bad : {"iiii", "vx", "ic", "a", "", "iix", "vv"}) BOOST_TEST(ex::roman_value(bad) == 0, bad);
  for (int v = 1; v <= 39; ++v) BOOST_TEST(ex::roman_value(ex::to_roman(v)) == v);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- leaders, lines, furniture, columns -------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(layout)

BOOST_AUTO_TEST_CASE(dot_leaders_are_removed_and_short_dots_kept) {
  BOOST_TEST(ex::remove_leaders("..........") == "");
  BOOST_TEST(ex::remove_leaders("Answer........cm3") == "Answer cm3");
  BOOST_TEST(ex::remove_leaders("etc...") == "etc...");
  BOOST_TEST(ex::remove_leaders("\xE2\x80\xA6\xE2\x80\xA6\xE2\x80\xA6") == "");
  BOOST_TEST(ex::remove_leaders("________") == "");
  BOOST_TEST(ex::remove_leaders("a--b") == "a--b");
  BOOST_TEST(ex::remove_leaders("........[2]") == "[2]");

  ex::Line line{1, line_at(100, {{95, "................................"}, {500, "[2]"}}), 0, 0, 0, 0};
  line.update_box();
  BOOST_TEST(ex::strip_leaders(line));
  BOOST_TEST_REQUIRE(line.words.size() == 1u);
  BOOST_TEST(line.text() == "[2]");
  BOOST_TEST(line.x0 == 500);
}

BOOST_AUTO_TEST_CASE(words_out_of_stream_order_are_grouped_by_baseline) {
  auto first = line_at(100, {{72, "(a)"}, {95, "State the law."}, {520, "[1]"}});
  auto second = words_at(95, 114, "Give one example.");
  std::vector<examq::pdf::Word> words;
  // Poppler may report a right-aligned mark after later lines.
  words.insert(words.end(), second.begin(), second.end());
  words.insert(words.end(), first.rbegin(), first.rend());
  // A bold 11 pt number is taller than 10 pt text but on the same baseline.
  words.push_back(examq::pdf::Word{"1", 50, 99, 56, 110.5});
  words.push_back(examq::pdf::Word{"   ", 300, 100, 303, 110});

  const auto lines = ex::build_lines(3, words);
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0].text() == "1 (a) State the law. [1]");
  BOOST_TEST(lines[1].text() == "Give one example.");
  BOOST_TEST(lines[0].page_number == 3);
  BOOST_TEST(lines[0].x0 == 50);
}

BOOST_AUTO_TEST_CASE(furniture_text_is_recognised_anywhere) {
  for (const char* text : {"Turn over \xE2\x96\xBA", "[Turn over", "\xC2\xA9 UCLES 2023",
                           "Copyright \xC2\xA9 2024 AQA and its licensors. All rights reserved.",
                           "Question 3 continues on the next page", "BLANK PAGE", "END OF QUESTIONS",
                           "Turn over for the next question", "Do not write outside the box", "Extra space"})
    BOOST_TEST(ex::is_furniture_text(text), text);
  for (const char* text : {"Turn over the card and describe the pattern.", "The copyright holder",
                           "Question 3 asks about the end of questions", "1"})
    BOOST_TEST(!ex::is_furniture_text(text), text);
}

BOOST_AUTO_TEST_CASE(running_headers_footers_and_page_numbers_are_removed) {
  std::vector<ex::PageLines> pages;
  for (int p = 1; p <= 3; ++p) {
    auto page = page_of(p, {words_at(400, 30, "Chemistry Paper 1 Higher"), line_at(120, {{50, "1"}, {72, "Body text."}}),
                            words_at(95, 400, "2"), words_at(295, 795, std::to_string(p)),
                            line_at(810, {{50, "IB/M/Jun24/8462/1H"}, {490, p < 3 ? "Turn over" : ""}})});
    pages.push_back(ex::PageLines{p, page.width, page.height, ex::build_lines(p, page.words)});
  }
  ex::remove_page_furniture(pages);
  for (const auto& page : pages) {
    BOOST_TEST_REQUIRE(page.lines.size() == 2u);
    BOOST_TEST(page.lines[0].text() == "1 Body text.");
    BOOST_TEST(page.lines[1].text() == "2");  // a number in the body is not a page number
  }
}

BOOST_AUTO_TEST_CASE(a_one_page_footer_is_removed_by_its_shape) {
  auto page = page_of(1, {line_at(120, {{50, "1"}, {72, "Body text."}}), words_at(50, 810, "0620/22/F/M/24"),
                          words_at(50, 822, "*0412345678*")});
  std::vector<ex::PageLines> pages{{1, page.width, page.height, ex::build_lines(1, page.words)}};
  ex::remove_page_furniture(pages);
  BOOST_TEST_REQUIRE(pages[0].lines.size() == 1u);
  BOOST_TEST(pages[0].lines[0].text() == "1 Body text.");
}

BOOST_AUTO_TEST_CASE(a_two_column_page_is_read_column_by_column) {
  auto page = page_of(1, {words_at(50, 70, "Answer all questions. Choose one answer, A, B, C or D, for each question here."),
                          line_at(100, {{50, "1"}, {70, "Which gas is a noble gas?"}, {313, "4"}, {333, "What is the unit of power?"}}),
                          line_at(114, {{70, "A oxygen"}, {176, "B neon"}, {333, "A joule"}, {439, "B watt"}}),
                          line_at(128, {{70, "C argon"}, {176, "D chlorine"}, {333, "C volt"}, {439, "D ohm"}}),
                          line_at(156, {{50, "2"}, {70, "Which is a metal?"}, {313, "5"}, {333, "Which is a vector?"}}),
                          line_at(170, {{70, "A iron"}, {176, "B sulfur"}, {333, "A mass"}, {439, "B force"}}),
                          line_at(184, {{70, "C carbon"}, {176, "D neon"}, {333, "C time"}, {439, "D energy"}})});
  ex::PageLines lines{1, page.width, page.height, ex::build_lines(1, page.words)};
  const auto gutter = ex::find_gutter(lines);
  BOOST_TEST_REQUIRE(gutter.has_value());
  BOOST_TEST(gutter->x0 >= 220);  // right of the left column's widest line
  BOOST_TEST(gutter->x1 <= 313);

  const auto regions = ex::reading_order(lines);
  BOOST_TEST_REQUIRE(regions.size() == 3u);
  BOOST_TEST((regions[0].kind == ex::Region::Kind::full_width));
  BOOST_TEST((regions[1].kind == ex::Region::Kind::left_column));
  BOOST_TEST((regions[2].kind == ex::Region::Kind::right_column));
  BOOST_TEST(regions[1].lines.front().text() == "1 Which gas is a noble gas?");
  BOOST_TEST(regions[1].lines.back().text() == "C carbon D neon");
  BOOST_TEST(regions[2].lines.front().text() == "4 What is the unit of power?");
}

BOOST_AUTO_TEST_CASE(a_one_column_page_with_right_aligned_marks_is_not_split) {
  auto page = page_of(1, {line_at(100, {{50, "1"}, {72, "(a)"}, {95, "Name the gas."}, {525, "[1]"}}),
                          line_at(120, {{72, "(b)"}, {95, "State its colour."}, {525, "[1]"}}),
                          line_at(140, {{72, "(c)"}, {95, "Give its formula."}, {525, "[1]"}}),
                          line_at(160, {{72, "(d)"}, {95, "Name a use."}, {525, "[1]"}}),
                          line_at(180, {{72, "(e)"}, {95, "State a hazard."}, {525, "[1]"}}),
                          line_at(200, {{72, "(f)"}, {95, "Name a test."}, {525, "[1]"}})});
  ex::PageLines lines{1, page.width, page.height, ex::build_lines(1, page.words)};
  BOOST_TEST(!ex::find_gutter(lines).has_value());
  BOOST_TEST(ex::reading_order(lines).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- segmentation ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(segmenter)

BOOST_AUTO_TEST_CASE(parts_and_subparts_become_leaf_rows_linked_to_parents) {
  const auto qs = run({page_of(1, {line_at(100, {{50, "1"}, {72, "(a)"}, {95, "(i)"}, {120, "State the law."}, {525, "[1]"}}),
                                   line_at(120, {{95, "(ii)"}, {120, "Give an example."}, {525, "[2]"}}),
                                   line_at(140, {{72, "(b)"}, {95, "Explain it."}, {525, "[3]"}}),
                                   line_at(160, {{460, "[Total: 6]"}}),
                                   line_at(190, {{50, "2"}, {72, "Define power."}, {525, "[2]"}})})});
  BOOST_TEST(numbers(qs) == (Strings{"1(a)(i)", "1(a)(ii)", "1(b)", "2"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 4u);
  BOOST_TEST(qs[0].parent_number == "1(a)");
  BOOST_TEST(qs[2].parent_number == "1");
  BOOST_TEST(qs[3].parent_number == "");
  BOOST_TEST(*qs[0].marks == 1);
  BOOST_TEST(*qs[1].marks == 2);
  BOOST_TEST(*qs[2].marks == 3);  // the total is not added to the last part
  BOOST_TEST(qs[2].text == "Explain it.");
  BOOST_TEST(qs[3].position == 4);
  BOOST_TEST(qs[3].source == "text");
}

BOOST_AUTO_TEST_CASE(a_stem_becomes_its_own_row_without_marks) {
  const auto qs = run({page_of(1, {line_at(100, {{50, "1"}, {72, "This question is about acids."}}),
                                   line_at(120, {{72, "(a)"}, {95, "Name an acid."}, {525, "[1]"}})})});
  BOOST_TEST_REQUIRE(qs.size() == 2u);
  BOOST_TEST(qs[0].number == "1");
  BOOST_TEST(qs[0].text == "This question is about acids.");
  BOOST_TEST(!qs[0].marks.has_value());
  BOOST_TEST(qs[1].number == "1(a)");
  BOOST_TEST(qs[1].parent_number == "1");
}

BOOST_AUTO_TEST_CASE(parts_out_of_sequence_are_wording) {
  const auto qs = run({page_of(1, {line_at(100, {{50, "1"}, {72, "(g)"}, {95, "Name a gas."}, {525, "[1]"}}),
                                   line_at(120, {{72, "(h)"}, {95, "State its colour."}, {525, "[1]"}})})});
  BOOST_TEST_REQUIRE(qs.size() == 1u);  // parts start at (a)
  BOOST_TEST(qs[0].number == "1");
  BOOST_TEST(qs[0].text == "(g) Name a gas. (h) State its colour.");
  BOOST_TEST(*qs[0].marks == 2);
}

BOOST_AUTO_TEST_CASE(roman_i_after_h_is_the_next_part_when_aligned_with_h) {
  const auto seq = run({page_of(1, {line_at(100, {{50, "1"}, {72, "(a)"}, {95, "A."}}), line_at(120, {{72, "(b)"}, {95, "B."}}),
                                    line_at(140, {{72, "(c)"}, {95, "C."}}), line_at(160, {{72, "(d)"}, {95, "D."}}),
                                    line_at(180, {{72, "(e)"}, {95, "E."}}), line_at(200, {{72, "(f)"}, {95, "F."}}),
                                    line_at(220, {{72, "(g)"}, {95, "G."}}), line_at(240, {{72, "(h)"}, {95, "H."}}),
                                    line_at(260, {{72, "(i)"}, {95, "I."}}), line_at(280, {{72, "(j)"}, {95, "J."}})})});
  BOOST_TEST(numbers(seq) == (Strings{"1(a)", "1(b)", "1(c)", "1(d)", "1(e)", "1(f)", "1(g)", "1(h)", "1(i)", "1(j)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(roman_i_after_h_is_a_subpart_when_indented_or_on_the_same_line) {
  auto parts_to_h = [](double y0) {
    std::vector<std::vector<examq::pdf::Word>> lines;
    lines.push_back(line_at(y0, {{50, "1"}, {72, "(a)"}, {95, "A."}}));
    for (int i = 1; i < 7; ++i) {
      const std::string label = std::string("(") + static_cast<char>('a' + i) + ")";
      lines.push_back(line_at(y0 + 20 * i, {{72, label}, {95, "Text."}}));
    }
    return lines;
  };
  // "(h) The lamp." then "(i)" indented under it, then "(ii)".
  auto page = page_of(1, {});
  for (const auto& l : parts_to_h(100)) page.words.insert(page.words.end(), l.begin(), l.end());
  for (const auto& l : {line_at(240, {{72, "(h)"}, {95, "The lamp."}}), line_at(260, {{95, "(i)"}, {120, "State."}}),
                        line_at(280, {{95, "(ii)"}, {120, "Explain."}}), line_at(300, {{72, "(i)"}, {95, "Last part."}})})
    page.words.insert(page.words.end(), l.begin(), l.end());
  auto qs = run({page});
  BOOST_TEST_REQUIRE(qs.size() == 11u);
  BOOST_TEST(qs[7].number == "1(h)");  // a stem row: (h) has wording and parts
  BOOST_TEST(qs[8].number == "1(h)(i)");
  BOOST_TEST(qs[9].number == "1(h)(ii)");
  BOOST_TEST(qs[10].number == "1(i)");  // back at (h)'s indent after (ii): the next part

  // "(h) (i) ..." on one line.
  page = page_of(1, {});
  for (const auto& l : parts_to_h(100)) page.words.insert(page.words.end(), l.begin(), l.end());
  const auto same_line = line_at(240, {{72, "(h)"}, {95, "(i)"}, {120, "State."}});
  page.words.insert(page.words.end(), same_line.begin(), same_line.end());
  qs = run({page});
  BOOST_TEST(qs.back().number == "1(h)(i)");
  BOOST_TEST(qs.back().parent_number == "1(h)");
}

BOOST_AUTO_TEST_CASE(a_number_starting_a_continued_sentence_is_not_a_question) {
  // Wording wrapped at the margin: "2 moles" continues "Calculate the mass of".
  const auto qs = run({page_of(1, {line_at(100, {{50, "1"}, {65, "Calculate the mass of"}}),
                                   words_at(50, 114, "2 moles of water. [2]"),
                                   line_at(140, {{50, "2"}, {65, "Define a mole."}, {525, "[1]"}})})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "2"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 2u);
  BOOST_TEST(qs[0].text == "Calculate the mass of 2 moles of water.");
  BOOST_TEST(*qs[0].marks == 2);
}

BOOST_AUTO_TEST_CASE(numbers_away_from_the_margin_are_not_questions) {
  const auto qs = run({page_of(1, {line_at(100, {{50, "1"}, {72, "The student uses"}}),
                                   words_at(72, 114, "2 beakers and a thermometer. [2]"),
                                   line_at(140, {{50, "2"}, {72, "Define heat."}, {525, "[1]"}})})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(numbers_out_of_sequence_or_style_are_wording) {
  const auto qs = run({page_of(1, {line_at(100, {{50, "Q1."}, {75, "State Ohm's law."}, {520, "(2 marks)"}}),
                                   line_at(120, {{50, "3"}, {75, "volts are applied across it."}}),
                                   line_at(140, {{50, "Q2."}, {75, "Define current."}, {520, "(1 mark)"}})})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "2"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 2u);
  BOOST_TEST(qs[0].text == "State Ohm's law. 3 volts are applied across it.");
}

BOOST_AUTO_TEST_CASE(boxed_numbers_and_numeric_parts_follow_aqa) {
  const auto qs = run({page_of(1, {line_at(100, {{54, "0"}, {68, "1"}, {110, "This question is about metals."}}),
                                   line_at(130, {{54, "0"}, {68, "1"}, {82, "."}, {90, "1"}, {110, "Name a metal."}}),
                                   line_at(144, {{480, "[1 mark]"}}),
                                   line_at(170, {{54, "0"}, {68, "1"}, {82, "."}, {90, "2"}, {110, "Name an alloy."}}),
                                   line_at(184, {{480, "[2 marks]"}}),
                                   line_at(210, {{54, "0"}, {68, "2"}, {110, "Describe a test."}}),
                                   line_at(224, {{480, "[3 marks]"}})})});
  BOOST_TEST(numbers(qs) == (Strings{"01", "01.1", "01.2", "02"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 4u);
  BOOST_TEST(qs[1].parent_number == "01");
  BOOST_TEST(*qs[2].marks == 2);
  BOOST_TEST(*qs[3].marks == 3);
}

BOOST_AUTO_TEST_CASE(a_question_continues_over_a_page_break) {
  const auto qs = run({page_of(1, {line_at(100, {{50, "1"}, {72, "Describe how the student could measure"}})}),
                       page_of(2, {words_at(72, 100, "the rate of the reaction. [4]"),
                                   line_at(130, {{50, "2"}, {72, "Name the gas."}, {525, "[1]"}})})});
  BOOST_TEST_REQUIRE(qs.size() == 2u);
  BOOST_TEST(qs[0].page_number == 1);
  BOOST_TEST(qs[0].text == "Describe how the student could measure the rate of the reaction.");
  BOOST_TEST(*qs[0].marks == 4);
  BOOST_TEST(qs[1].page_number == 2);
}

BOOST_AUTO_TEST_CASE(cover_pages_and_section_instructions_belong_to_no_question) {
  const auto qs = run({page_of(1, {words_at(50, 100, "1 hour 15 minutes"), words_at(50, 130, "Answer all questions."),
                                   words_at(424, 400, "1"), words_at(424, 418, "2"), words_at(424, 436, "3")}),
                       page_of(2, {words_at(50, 80, "Section A"), words_at(50, 100, "Answer all questions in this section."),
                                   line_at(130, {{50, "1"}, {72, "Define work."}, {525, "[1]"}}),
                                   words_at(50, 160, "Section B"), words_at(50, 180, "Show your working."),
                                   line_at(210, {{50, "2"}, {72, "Define power."}, {525, "[1]"}})})});
  BOOST_TEST(numbers(qs) == (Strings{"1", "2"}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(qs.size() == 2u);
  BOOST_TEST(qs[0].text == "Define work.");
  BOOST_TEST(qs[0].page_number == 2);
}

BOOST_AUTO_TEST_CASE(multiple_choice_options_stay_in_their_question_one_per_line) {
  const auto qs = run({page_of(1, {line_at(100, {{50, "1"}, {70, "Which gas is a noble gas?"}}),
                                   line_at(114, {{70, "A"}, {84, "oxygen"}}), line_at(128, {{70, "B"}, {84, "neon"}}),
                                   line_at(142, {{70, "C"}, {84, "argon"}}), line_at(156, {{70, "D"}, {84, "chlorine"}}),
                                   line_at(184, {{50, "2"}, {70, "A student heats water."}})})});
  BOOST_TEST_REQUIRE(qs.size() == 2u);
  BOOST_TEST(qs[0].text == "Which gas is a noble gas?\nA oxygen\nB neon\nC argon\nD chlorine");
  BOOST_TEST(qs[1].text == "A student heats water.");  // "A student" is wording, not an option
}

BOOST_AUTO_TEST_CASE(marks_printed_twice_for_one_part_are_added) {
  const auto qs = run({page_of(1, {line_at(100, {{50, "1"}, {72, "Complete the table."}}), line_at(120, {{72, "Row one"}, {525, "[1]"}}),
                                   line_at(140, {{72, "Row two"}, {525, "[1]"}})})});
  BOOST_TEST_REQUIRE(qs.size() == 1u);
  BOOST_TEST(*qs[0].marks == 2);
}

BOOST_AUTO_TEST_CASE(a_page_without_questions_gives_no_rows) {
  BOOST_TEST(run({page_of(1, {words_at(50, 100, "This page is intentionally left blank.")})}).empty());
  BOOST_TEST(run({}).empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- the interface --------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(text_extractor)

BOOST_AUTO_TEST_CASE(progress_is_reported_once_per_page_in_order) {
  std::vector<examq::pdf::PageText> pages;
  for (int p = 1; p <= 4; ++p) pages.push_back(page_of(p, {line_at(100, {{50, std::to_string(p)}, {72, "Define work."}})}));
  std::vector<std::pair<int, int>> calls;
  const auto qs = ex::TextExtractor().extract(pages, [&](int done, int total) { calls.emplace_back(done, total); }, {});
  BOOST_TEST(qs.size() == 4u);
  BOOST_TEST_REQUIRE(calls.size() == 4u);
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST(calls[static_cast<std::size_t>(i)].first == i + 1);
    BOOST_TEST(calls[static_cast<std::size_t>(i)].second == 4);
  }
}

BOOST_AUTO_TEST_CASE(a_requested_stop_cancels_extraction) {
  std::vector<examq::pdf::PageText> pages{page_of(1, {line_at(100, {{50, "1"}, {72, "Define work."}})}),
                                          page_of(2, {line_at(100, {{50, "2"}, {72, "Define power."}})})};
  std::stop_source stop;
  // Stop from inside the progress callback: the next page check must notice.
  int calls = 0;
  auto progress = [&](int, int) {
    ++calls;
    stop.request_stop();
  };
  BOOST_CHECK_THROW(ex::TextExtractor().extract(pages, progress, stop.get_token()), ex::Cancelled);
  BOOST_TEST(calls == 1);

  std::stop_source already;
  already.request_stop();
  BOOST_CHECK_THROW(ex::TextExtractor().extract(pages, nullptr, already.get_token()), ex::Cancelled);
}

BOOST_AUTO_TEST_CASE(the_backend_names_itself_text) {
  const ex::TextExtractor text;
  const ex::Extractor& backend = text;
  BOOST_TEST(backend.name() == "text");
}

BOOST_AUTO_TEST_SUITE_END()

// ---- hostile input --------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(hostile_input)

// The extractor runs inside the worker process (only rendering is sandboxed), so no input may
// crash it: std::regex recurses per character, hence the length limits on what it is shown.
BOOST_AUTO_TEST_CASE(huge_words_do_not_exhaust_the_stack) {
  std::string parts = "1";
  for (int i = 0; i < 200000; ++i) parts += "(a)";
  const std::string digits(1000000, '7');
  std::string total = "[Total for question 3 (";
  total += std::string(1000000, 'a');
  std::string furniture = "question " + digits + " continues on the next page";
  std::string reference = "a";
  for (int i = 0; i < 200000; ++i) reference += "/b";

  std::vector<examq::pdf::Word> words{{parts, 50, 100, 60, 110},     {digits, 50, 120, 60, 130},
                                      {total, 50, 140, 60, 150},     {furniture, 50, 160, 60, 170},
                                      {reference, 50, 815, 60, 825}, {"Q" + digits, 50, 180, 60, 190}};
  examq::pdf::PageText page{1, 595, 842, words};
  BOOST_TEST(ex::TextExtractor().extract({page, page}, nullptr, {}).empty());
}

BOOST_AUTO_TEST_CASE(non_finite_and_absurd_geometry_is_tolerated) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  examq::pdf::PageText page{1, 1e12, 1e12, line_at(100, {{50, "1"}, {72, "Define work."}, {525, "[1]"}})};
  page.words.push_back({"2", nan, nan, nan, nan});
  page.words.push_back({"3", -inf, 100, inf, 110});
  page.words.push_back({"(b)", 72, inf, 80, inf});
  const auto qs = ex::TextExtractor().extract({page}, nullptr, {});
  BOOST_TEST_REQUIRE(qs.size() == 1u);
  BOOST_TEST(qs[0].text == "Define work.");
  BOOST_TEST(*qs[0].marks == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(segmenter_headings)

BOOST_AUTO_TEST_CASE(part_at_the_start_of_wording_is_not_a_section_heading) {
  const auto qs = run({page_of(1, {line_at(100, {{50, "1"}, {72, "A student carries out an experiment in two parts."}}),
                                   words_at(72, 114, "Part B of the experiment uses a larger beaker. [2]")})});
  BOOST_TEST_REQUIRE(qs.size() == 1u);
  BOOST_TEST(qs[0].text ==
             "A student carries out an experiment in two parts. Part B of the experiment uses a larger beaker.");
  BOOST_TEST(*qs[0].marks == 2);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- OCR label repair (scanned pages only)


BOOST_AUTO_TEST_CASE(ocr_digits_read_as_letters_are_repaired_in_question_numbers) {
  BOOST_TEST(repaired({"Ql. Define speed", "l. State the law", "Question l Explain", "QlO. Last"}) ==
                 (std::vector<std::string>{"Q1. Define speed", "1. State the law", "Question 1 Explain", "Q10. Last"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ocr_repair_leaves_words_and_roman_labels_alone) {
  BOOST_TEST(repaired({"I think so", "l) calculate the time", "Idea one"}) ==
                 (std::vector<std::string>{"I think so", "i) calculate the time", "Idea one"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ocr_boxed_numbers_are_joined_back) {
  BOOST_TEST(repaired({"0 1.1 Name the gas", "0 1. 2 Complete the", "0 2. 1° Suggest one", "0 | This question",
                       "1 2 moles of gas"}) ==
                 (std::vector<std::string>{"01.1 Name the gas", "01.2 Complete the", "02.1 Suggest one",
                                           "01 This question", "1 2 moles of gas"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ocr_roman_parts_and_b_read_as_6_are_repaired_in_sequence) {
  BOOST_TEST(repaired({"(a) (l) First", "(li) Second", "(6) Next part", "(6) again is not b"}) ==
                 (std::vector<std::string>{"(a) (i) First", "(ii) Second", "(b) Next part", "(6) again is not b"}),
             boost::test_tools::per_element());
}

// OCR keeps only the ")" of a first part "(a)" printed right after the question's label.
BOOST_AUTO_TEST_CASE(ocr_first_part_reduced_to_its_bracket_is_restored_before_b) {
  BOOST_TEST(repaired({"Q.9 ) [3 marks] Explain", "(b) [3 marks] Give", "Q.10 ) [2 marks] Name it", "Q.11 ) and more",
                       "Q.12. Define"}) ==
                 (std::vector<std::string>{"Q.9 (a) [3 marks] Explain", "(b) [3 marks] Give", "Q.10 ) [2 marks] Name it",
                                           "Q.11 ) and more", "Q.12. Define"}),
             boost::test_tools::per_element());
}

// Edexcel prints a part's marks alone at the right margin: "(6)" after part (a) is 6 marks.
BOOST_AUTO_TEST_CASE(ocr_lone_bracketed_digit_after_a_part_stays_marks) {
  BOOST_TEST(repaired({"(a) Describe a method", "(6)", "(b) Next part"}) ==
                 (std::vector<std::string>{"(a) Describe a method", "(6)", "(b) Next part"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ocr_marks_brackets_are_matched) {
  BOOST_TEST(repaired({"State the law. (1 mark}", "Name it. [2}", "Give one. {3]", "Total (in kJ}"}) ==
                 (std::vector<std::string>{"State the law. (1 mark)", "Name it. [2]", "Give one. [3]", "Total (in kJ}"}),
             boost::test_tools::per_element());
}
