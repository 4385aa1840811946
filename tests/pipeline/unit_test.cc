#define BOOST_TEST_MODULE pipeline_unit
// The pipeline's small pure pieces: bytea text format, base64 page images, questions JSON, the
// render time limits read from the environment, and the URL fetcher's refusals (no network
// needed).
#include "pipeline/base64.h"
#include "pipeline/bytea.h"
#include "pipeline/pipeline_config.h"
#include "pipeline/questions_json.h"
#include "pipeline/review_json.h"
#include "pipeline/url_fetcher.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <tao/json/to_string.hpp>

#include <boost/test/unit_test.hpp>

using namespace examq::pipeline;

BOOST_AUTO_TEST_CASE(bytea_hex_round_trips_every_byte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  BOOST_TEST(to_bytea_hex("\x01\xff") == "\\x01ff");
  BOOST_TEST(from_bytea_hex(to_bytea_hex(all)) == all);
  BOOST_CHECK_THROW(from_bytea_hex("plain"), std::invalid_argument);
  BOOST_CHECK_THROW(from_bytea_hex("\\x0g"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(base64_images_decode_with_or_without_a_data_url) {
  BOOST_TEST(*decode_base64_image("aGVsbG8=") == "hello");
  BOOST_TEST(*decode_base64_image("data:image/jpeg;base64,aGVsbG8") == "hello");
  BOOST_TEST(*decode_base64_image("aGVs\nbG8=") == "hello");
  BOOST_TEST(!decode_base64_image("not base64!").has_value());
  BOOST_TEST(!decode_base64_image("data:image/png,raw").has_value());
  BOOST_TEST(image_format(std::string("\xff\xd8\xff\xe0", 4)) == "jpeg");
  BOOST_TEST(image_format(std::string("\x89PNG\r\n\x1a\n", 8)) == "png");
  BOOST_TEST(image_format("GIF89a").empty());
}

BOOST_AUTO_TEST_CASE(review_json_has_every_documented_field_and_null_without_a_stated_total) {
  examq::extract::PaperReview r;
  r.needed = true;
  r.reasons = {"numbering_gap"};
  r.marks_sum = 12;
  r.missing_numbers = {"3"};
  r.details = {{"numbering_gap", "no question 3 (read 2, then 4)"}};
  auto json = review_to_json(r);
  for (const char* key : {"needed", "reasons", "stated_total", "stated_total_page", "stated_total_text", "marks_sum",
                          "marks_match", "leaf_rows", "leaf_rows_without_marks", "missing_numbers", "repeated_numbers",
                          "pages_without_questions", "low_ocr_confidence_pages", "ocr_failed_pages", "details"}) {
    BOOST_TEST(json.find(key) != nullptr, key);
  }
  BOOST_TEST(json.at("stated_total").is_null());
  BOOST_TEST(json.at("stated_total_text").is_null());
  BOOST_TEST(json.at("needed").get_boolean());
  BOOST_TEST(json.at("missing_numbers").get_array().at(0).get_string() == "3");
  BOOST_TEST(tao::json::to_string(json.at("details")) ==
             R"j([{"message":"no question 3 (read 2, then 4)","reason":"numbering_gap"}])j");
  r.stated_total = 75;
  r.stated_total_page = 1;
  BOOST_TEST(review_to_json(r).at("stated_total").as<int>() == 75);
}

BOOST_AUTO_TEST_CASE(questions_json_has_the_columns_replace_exam_paper_questions_reads) {
  examq::extract::Question q{"1(a)", "1", 1, "State the law.", 2, 3, "text"};
  examq::extract::Question r{"2", "", 2, "Essay", std::nullopt, 4, "text"};
  auto json = questions_to_json({q, r});
  const std::string want =
      R"j([{"marks":2,"page_number":3,"parent_number":"1","question_number":"1(a)","source":"text","text":"State the law."},)j"
      R"j({"marks":null,"page_number":4,"parent_number":null,"question_number":"2","source":"text","text":"Essay"}])j";
  BOOST_TEST(tao::json::to_string(json) == want);
}

BOOST_AUTO_TEST_CASE(fetcher_refuses_other_schemes_and_file_urls_without_a_root) {
  FetchLimits limits;
  try {
    fetch_url("ftp://example.invalid/x.pdf", limits);
    BOOST_FAIL("ftp accepted");
  } catch (const FetchError& e) {
    BOOST_TEST(!e.transient());
    BOOST_TEST(std::string(e.what()).find("unsupported URL scheme") != std::string::npos);
  }
  try {
    fetch_url("file:///etc/passwd", limits);
    BOOST_FAIL("file:// accepted without a root");
  } catch (const FetchError& e) {
    BOOST_TEST(!e.transient());
    BOOST_TEST(std::string(e.what()).find("EXAMQ_FILE_URL_ROOT") != std::string::npos);
  }
  limits.file_root = "/tmp";
  try {
    fetch_url("file:///etc/passwd", limits);
    BOOST_FAIL("file:// outside the root accepted");
  } catch (const FetchError& e) {
    BOOST_TEST(std::string(e.what()).find("outside") != std::string::npos);
  }
}

// EXAMQ_RENDER_TIMEOUT is the CPU time of one request; EXAMQ_RENDER_WALL_TIMEOUT the wall-clock
// backstop for a child that hangs without using CPU: 5x the timeout unless set, never below it.
BOOST_AUTO_TEST_CASE(render_wall_timeout_defaults_to_five_timeouts_and_is_not_below_the_timeout) {
  ::setenv("EXAMQ_RENDER_TIMEOUT", "20s", 1);
  BOOST_TEST(PipelineConfig::from_env().render.sandbox.timeout.count() == 20);
  BOOST_TEST(PipelineConfig::from_env().render.sandbox.wall_timeout.count() == 100);
  ::setenv("EXAMQ_RENDER_WALL_TIMEOUT", "2m", 1);
  BOOST_TEST(PipelineConfig::from_env().render.sandbox.wall_timeout.count() == 120);
  ::setenv("EXAMQ_RENDER_WALL_TIMEOUT", "10s", 1);
  try {
    PipelineConfig::from_env();
    BOOST_ERROR("a wall-clock backstop below the timeout was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) == "EXAMQ_RENDER_WALL_TIMEOUT: at least EXAMQ_RENDER_TIMEOUT (20s)");
  }
  ::setenv("EXAMQ_RENDER_WALL_TIMEOUT", "soon", 1);
  BOOST_CHECK_THROW(PipelineConfig::from_env(), std::invalid_argument);
  ::unsetenv("EXAMQ_RENDER_WALL_TIMEOUT");
  ::unsetenv("EXAMQ_RENDER_TIMEOUT");
}
