#define BOOST_TEST_MODULE pdf_wire_format
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "pdf/wire_format.h"

using namespace examq::pdf;
using namespace examq::pdf::wire;

BOOST_AUTO_TEST_CASE(page_reply_round_trips_through_a_frame_split_anywhere) {
  PageReply page;
  page.page_number = 7;
  page.width = 1240;
  page.height = 1754;
  page.dpi = 150;
  page.jpeg = std::string("\xFF\xD8\xFF\x00jpeg\xFF\xD9", 10);
  page.text.width = 595;
  page.text.height = 842;
  page.text.words = {{"Question", 72, 60, 130, 74}, {"[2]", 140, 60, 158, 74}};
  page.render_seconds = 0.125;
  page.ocr_seconds = 2.5;
  const std::string bytes = frame(FrameType::page, encode(page)) +
                            frame(FrameType::error, encode(ErrorReply{ChildError::page_unreadable, "page 8 cannot be read"}));

  for (std::size_t cut = 0; cut <= bytes.size(); cut += 3) {
    FrameReader reader;
    reader.append(bytes.data(), cut);
    std::vector<Frame> frames;
    while (auto f = reader.next()) frames.push_back(*f);
    reader.append(bytes.data() + cut, bytes.size() - cut);
    while (auto f = reader.next()) frames.push_back(*f);
    BOOST_REQUIRE(frames.size() == 2u);
    BOOST_TEST(reader.empty());
    const PageReply back = decode_page(frames[0].payload);
    BOOST_TEST(back.page_number == 7);
    BOOST_TEST(back.jpeg == page.jpeg);
    BOOST_TEST(back.text.page_number == 7);
    BOOST_REQUIRE(back.text.words.size() == 2u);
    BOOST_TEST(back.text.words[1].text == "[2]");
    BOOST_TEST(back.text.words[1].x1 == 158.0);
    BOOST_TEST(back.render_seconds == 0.125);
    BOOST_TEST(back.ocr_seconds == 2.5);
    const ErrorReply error = decode_error(frames[1].payload);
    BOOST_TEST(int(error.code) == int(ChildError::page_unreadable));
    BOOST_TEST(error.message == "page 8 cannot be read");
  }
}

BOOST_AUTO_TEST_CASE(a_childs_page_timings_are_clamped_to_sane_values) {
  // The timings feed the worker's metrics; a hostile child must not poison the histograms.
  PageReply page;
  page.page_number = 1;
  page.render_seconds = -5;
  page.ocr_seconds = 1e300;
  PageReply back = decode_page(encode(page));
  BOOST_TEST(back.render_seconds == 0.0);
  BOOST_TEST(back.ocr_seconds == kMaxReportedSeconds);
  page.render_seconds = std::numeric_limits<double>::quiet_NaN();
  back = decode_page(encode(page));
  BOOST_TEST(back.render_seconds == 0.0);
}

BOOST_AUTO_TEST_CASE(oversized_frame_length_is_refused_before_buffering_it) {
  Encoder e;
  e.u32(static_cast<std::uint32_t>(FrameType::page));
  e.u32(kMaxPayloadBytes + 1);
  FrameReader reader;
  reader.append(e.bytes().data(), e.bytes().size());
  BOOST_CHECK_THROW(reader.next(), WireError);
}

BOOST_AUTO_TEST_CASE(unknown_frame_type_is_refused) {
  Encoder e;
  e.u32(99);
  e.u32(0);
  FrameReader reader;
  reader.append(e.bytes().data(), e.bytes().size());
  BOOST_CHECK_THROW(reader.next(), WireError);
}

BOOST_AUTO_TEST_CASE(truncated_or_lying_payloads_are_refused) {
  PageReply page;
  page.page_number = 1;
  std::string payload = encode(page);
  BOOST_CHECK_THROW(decode_page(payload.substr(0, payload.size() - 1)), WireError);
  // A word count of a billion in a tiny payload must not reserve memory for it.
  Encoder e;
  e.i32(1); e.i32(1); e.i32(1); e.f64(150); e.str(""); e.f64(1); e.f64(1);
  e.u32(1'000'000'000);
  BOOST_CHECK_THROW(decode_page(e.bytes()), WireError);
  // A string longer than what is left.
  Encoder s;
  s.u32(1); s.u32(2); s.str("1.4"); s.u32(500);
  BOOST_CHECK_THROW(decode_poppler_info(s.bytes()), WireError);
}

BOOST_AUTO_TEST_CASE(info_round_trips_with_and_without_page_costs) {
  PopplerInfo info;
  info.page_count = 3;
  info.pdf_version = "1.7";
  info.title = "Paper 1";
  info.page_costs = {15'000, 120'000, 0xFFFFFFFFu};
  const PopplerInfo back = decode_poppler_info(encode(info));
  BOOST_TEST(back.page_count == 3);
  BOOST_TEST(back.title == "Paper 1");
  BOOST_TEST(back.page_costs == info.page_costs);
  info.page_costs.clear();
  BOOST_TEST(decode_poppler_info(encode(info)).page_costs.empty());
}

BOOST_AUTO_TEST_CASE(page_costs_that_do_not_match_the_page_count_are_refused) {
  PopplerInfo info;
  info.page_count = 3;
  info.page_costs = {1, 2};  // one short
  BOOST_CHECK_THROW(decode_poppler_info(encode(info)), WireError);
  info.page_count = -1;  // a negative count with costs
  info.page_costs = {1};
  BOOST_CHECK_THROW(decode_poppler_info(encode(info)), WireError);
  // A count of a billion in a tiny payload must not reserve memory for it.
  Encoder e;
  e.u32(0); e.i32(1'000'000'000); e.str("1.4"); e.str(""); e.str("");
  e.u32(1'000'000'000);
  BOOST_CHECK_THROW(decode_poppler_info(e.bytes()), WireError);
  // Truncated in the middle of the costs.
  info.page_count = 2;
  info.page_costs = {1, 2};
  const std::string payload = encode(info);
  BOOST_CHECK_THROW(decode_poppler_info(payload.substr(0, payload.size() - 1)), WireError);
}

BOOST_AUTO_TEST_CASE(an_image_reply_round_trips_and_a_lying_size_is_refused) {
  ImageReply image{1413, 2000, std::string("\xFF\xD8jpeg\xFF\xD9", 8)};
  const std::string bytes = frame(FrameType::image, encode(image));
  FrameReader reader;
  reader.append(bytes.data(), bytes.size());
  auto f = reader.next();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(static_cast<int>(f->type) == static_cast<int>(FrameType::image));
  const ImageReply back = decode_image(f->payload);
  BOOST_TEST(back.width == 1413);
  BOOST_TEST(back.height == 2000);
  BOOST_TEST(back.jpeg == image.jpeg);
  BOOST_CHECK_THROW(decode_image(encode(ImageReply{0, 2000, "x"})), WireError);
  BOOST_CHECK_THROW(decode_image(encode(ImageReply{70000, 2000, "x"})), WireError);
  BOOST_CHECK_THROW(decode_image(encode(image) + "extra"), WireError);
}
