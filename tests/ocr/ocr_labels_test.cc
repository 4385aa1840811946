// Label repairs for what OCR does to question numbers in typefaces other than the one the engine
// was first tuned on (issue #13): each case is a reading seen on the scanned fixture papers in
// Liberation Sans, Liberation Serif or DejaVu Sans. The older repairs are tested with the
// extractor (tests/extract/extract_unit_tests.cc).

#define BOOST_TEST_MODULE ocr_labels
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "extract/line.h"
#include "extract/ocr_labels.h"
#include "extract_support.h"

namespace ex = examq::extract;

using examq::test::repaired;

BOOST_AUTO_TEST_CASE(a_boxed_zero_read_as_the_letter_o_is_a_zero_again) {
  BOOST_TEST(repaired({"O1 This question is about", "O 1. 2 Complete the", "O 2 A student", "On the other hand",
                       "Of the two"}) ==
                 (std::vector<std::string>{"01 This question is about", "01.2 Complete the", "02 A student",
                                           "On the other hand", "Of the two"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_stray_full_stop_after_a_whole_boxed_label_goes) {
  BOOST_TEST(repaired({"01.3. Explain why gold", "1.5. is a number"}) ==
                 (std::vector<std::string>{"01.3 Explain why gold", "1.5. is a number"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(s_for_five_only_after_q) {
  BOOST_TEST(repaired({"Qs. Explain the difference", "s. is not a label"}) ==
                 (std::vector<std::string>{"Q5. Explain the difference", "s. is not a label"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_speck_left_of_a_label_goes_but_punctuation_in_wording_stays) {
  BOOST_TEST(repaired({"| b) State Hooke's law.", "' 3. Describe", "- the rest of a sentence", "| x | is a modulus"}) ==
                 (std::vector<std::string>{"b) State Hooke's law.", "3. Describe", "- the rest of a sentence",
                                           "| x | is a modulus"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(roman_parts_with_i_read_as_f_or_t_beside_a_real_i) {
  BOOST_TEST(repaired({"(a) (i) Explain", "(if) Explain why", "(iti) State the effect", "(f) A part of its own",
                       "(t) Another"}) ==
                 (std::vector<std::string>{"(a) (i) Explain", "(ii) Explain why", "(iii) State the effect",
                                           "(f) A part of its own", "(t) Another"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(part_letters_read_as_look_alike_digits_or_capitals_follow_the_sequence) {
  BOOST_TEST(repaired({"(e) Predict", "(f) Explain", "(9) Caesium chloride", "a) First", "b) Second",
                       "C) The driver", "(9) is a number here"}) ==
                 (std::vector<std::string>{"(e) Predict", "(f) Explain", "(g) Caesium chloride", "a) First",
                                           "b) Second", "c) The driver", "(9) is a number here"}),
             boost::test_tools::per_element());
}
