// The OCR word filter and the decision to OCR a page, without Tesseract.

#define BOOST_TEST_MODULE ocr_words
#include <boost/test/unit_test.hpp>

#include "pdf/ocr_words.h"

using examq::pdf::has_unread_ink;
using examq::pdf::has_usable_text_layer;
using examq::pdf::keep_readable_words;
using examq::pdf::OcrWord;
using examq::pdf::PageText;
using examq::pdf::Word;

namespace {

// A 10-pt line of ordinary words at `y`.
std::vector<OcrWord> line_of(std::initializer_list<const char*> texts, double y) {
  std::vector<OcrWord> out;
  double x = 50;
  for (const char* t : texts) {
    const double width = 6.0 * std::string(t).size();
    out.push_back(OcrWord{t, x, y, x + width, y + 10, 92});
    x += width + 4;
  }
  return out;
}

std::vector<std::string> texts(const std::vector<Word>& words) {
  std::vector<std::string> out;
  for (const auto& w : words) out.push_back(w.text);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(page_without_words_needs_ocr) {
  PageText page;
  BOOST_TEST(!has_usable_text_layer(page));
}

BOOST_AUTO_TEST_CASE(a_scanner_stamp_is_not_a_text_layer) {
  PageText page;
  for (const char* t : {"Scanned", "by", "CamScanner", "---", "..."}) page.words.push_back(Word{t, 0, 0, 10, 10});
  BOOST_TEST(!has_usable_text_layer(page));
}

BOOST_AUTO_TEST_CASE(born_digital_page_keeps_its_text_layer) {
  PageText page;
  for (const char* t : {"1", "(a)", "Solve", "the", "equation", "x", "+", "2", "=", "5", "[2]"})
    page.words.push_back(Word{t, 0, 0, 10, 10});
  BOOST_TEST(has_usable_text_layer(page));
}

BOOST_AUTO_TEST_CASE(ordinary_words_and_labels_are_kept) {
  auto words = line_of({"1", "(a)", "Solve", "x", "=", "[2]"}, 100);
  const auto kept = keep_readable_words(words);
  BOOST_TEST(texts(kept) == (std::vector<std::string>{"1", "(a)", "Solve", "x", "=", "[2]"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(dotted_answer_line_read_as_junk_is_dropped) {
  auto words = line_of({"Explain", "your", "answer", "clearly"}, 100);
  // What Tesseract makes of a row of dots: a long flat "word".
  words.push_back(OcrWord{"PTOTTTITITITITITI", 50, 140, 450, 143, 31});
  const auto kept = keep_readable_words(words);
  BOOST_TEST(kept.size() == 4u);
  for (const auto& w : kept) BOOST_TEST(w.text != "PTOTTTITITITITITI");
}

BOOST_AUTO_TEST_CASE(scanner_specks_are_dropped_but_confident_small_words_stay) {
  auto words = line_of({"Find", "the", "value", "of", "y"}, 100);
  words.push_back(OcrWord{"'", 300, 200, 302, 202, 20});  // a speck
  words.push_back(OcrWord{"~", 320, 250, 323, 252, 35});  // another
  words.push_back(OcrWord{"=", 340, 103, 346, 107, 90});  // a real, small, confident sign
  const auto kept = keep_readable_words(words);
  BOOST_TEST(texts(kept) == (std::vector<std::string>{"Find", "the", "value", "of", "y", "="}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unsure_punctuation_is_dropped) {
  auto words = line_of({"Total", "marks"}, 100);
  words.push_back(OcrWord{"—", 200, 100, 210, 110, 40});
  BOOST_TEST(keep_readable_words(words).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_full_stop_takes_the_height_of_its_line) {
  // "0 1 . 1" as Tesseract boxes it: the full stop hugs the baseline, below the middle of the
  // digits, where the segmenter would put it on a line of its own.
  std::vector<OcrWord> words = {{"0", 50, 100, 56, 110, 95, 3}, {"1", 60, 100, 66, 110, 95, 3},
                                {".", 70, 108, 72, 110, 90, 3}, {"1", 76, 100, 82, 110, 95, 3},
                                {"Name", 100, 100, 130, 110, 96, 3}};
  // A line of small print (a footer) keeps its own height: lines are judged on their own words.
  words.push_back(OcrWord{"IB/M/Jun24", 50, 800, 100, 806, 93, 9});
  words.push_back(OcrWord{"1H", 104, 800, 112, 806, 93, 9});
  const auto kept = keep_readable_words(words);
  BOOST_TEST_REQUIRE(kept.size() == 7u);
  BOOST_TEST(kept[2].text == ".");
  BOOST_TEST(kept[2].y0 == 100.0);
  BOOST_TEST(kept[2].y1 == 110.0);
  BOOST_TEST(kept[2].x0 == 70.0);  // only the height changes
  BOOST_TEST(kept[5].y0 == 800.0);
  BOOST_TEST(kept[5].y1 == 806.0);
}

BOOST_AUTO_TEST_CASE(words_without_a_known_line_keep_their_boxes) {
  std::vector<OcrWord> words = line_of({"Total", "marks"}, 100);
  words.push_back(OcrWord{".", 80, 108, 82, 110, 90});
  const auto kept = keep_readable_words(words);
  BOOST_TEST_REQUIRE(kept.size() == 3u);
  BOOST_TEST(kept[2].y0 == 108.0);
}

BOOST_AUTO_TEST_CASE(ink_outside_the_text_layer_is_what_needs_ocr) {
  examq::pdf::GrayBitmap image;
  image.width = 1000;
  image.height = 1400;
  image.dpi = 72;  // one pixel a point
  image.pixels.assign(1000 * 1400, 255);
  PageText text;
  BOOST_TEST(!has_unread_ink(image, text));  // an empty page
  // Specks of dust are not worth reading...
  for (int i = 0; i < 100; ++i) image.pixels[static_cast<std::size_t>(i) * 9973] = 0;
  BOOST_TEST(!has_unread_ink(image, text));
  // ...a line of printed text is, unless the text layer has its words.
  for (int y = 200; y < 212; ++y)
    for (int x = 100; x < 400; x += 3) image.pixels[static_cast<std::size_t>(y) * 1000 + x] = 20;
  BOOST_TEST(has_unread_ink(image, text));
  text.words.push_back(Word{"BLANK", 100, 200, 250, 212});
  text.words.push_back(Word{"PAGE", 255, 200, 400, 212});
  BOOST_TEST(!has_unread_ink(image, text));
}
