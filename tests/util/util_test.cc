#define BOOST_TEST_MODULE util
#include "util/duration.h"
#include "util/log.h"
#include "util/wakeup.h"

#include <boost/test/unit_test.hpp>
#include <poll.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>
#include <thread>

using namespace examq::util;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(durations)

BOOST_AUTO_TEST_CASE(parse_duration_reads_every_unit) {
  BOOST_TEST(parse_duration("250us").count() == 250);
  BOOST_TEST(parse_duration("500ms").count() == 500000);
  BOOST_TEST(parse_duration("5s").count() == 5000000);
  BOOST_TEST(parse_duration("2m").count() == 120000000);
  BOOST_TEST(parse_duration("1h").count() == 3600000000LL);
  BOOST_TEST(parse_duration("1.5s").count() == 1500000);
  BOOST_TEST(parse_duration("0").count() == 0);
  BOOST_TEST(parse_duration("0s").count() == 0);
}

BOOST_AUTO_TEST_CASE(parse_duration_rejects_missing_or_unknown_units) {
  for (const char* bad : {"5", "", "s", "5 s", "-5s", "5sec", "5d", "1.2.3s", "ms5", "5S"}) {
    BOOST_CHECK_THROW(parse_duration(bad), std::invalid_argument);
  }
  try {
    parse_duration("5");
    BOOST_FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("unit is missing") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(format_duration_round_trips) {
  for (const char* text : {"250us", "500ms", "5s", "2m", "1h", "1500ms", "90s"}) {
    BOOST_TEST(format_duration(parse_duration(text)) == text);
  }
  BOOST_TEST(format_duration(parse_duration("1.5s")) == "1500ms");
  BOOST_TEST(format_duration(parse_duration("120s")) == "2m");
}

BOOST_AUTO_TEST_CASE(pg_interval_is_exact_microseconds) {
  BOOST_TEST(to_pg_interval(parse_duration("1.5s")) == "1500000 microseconds");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(logging)

struct CapturedLog {
  std::ostringstream out;
  explicit CapturedLog(LogFormat format) {
    init_logging(spdlog::level::info, format, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  }
};

BOOST_AUTO_TEST_CASE(text_events_quote_values_that_need_it) {
  CapturedLog log(LogFormat::text);
  log_event(spdlog::level::info, "job.failed", {{"job_id", "abc"}, {"error", "bad \"thing\" happened"}, {"retry", 2}});
  std::string line = log.out.str();
  BOOST_TEST(line.find(" info job.failed job_id=abc error=\"bad \\\"thing\\\" happened\" retry=2") != std::string::npos, line);
}

// Issue 20: text said "warning" where --log-level, the JSON format and the docs say "warn".
BOOST_AUTO_TEST_CASE(text_lines_name_levels_as_log_level_and_json_do) {
  CapturedLog log(LogFormat::text);
  log_event(spdlog::level::warn, "job.retrying", {{"job_id", "abc"}});
  spdlog::error("plain");
  const std::string text = log.out.str();
  BOOST_TEST(text.find(" warn job.retrying job_id=abc") != std::string::npos, text);
  BOOST_TEST(text.find(" error plain") != std::string::npos, text);
  BOOST_TEST(text.find("warning") == std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(json_events_are_one_valid_object_per_line) {
  CapturedLog log(LogFormat::json);
  set_log_context("worker_id", "host:1");
  log_event(spdlog::level::warn, "job.retrying", {{"job_id", "abc"}, {"error", "line1\nline2\t\x01"}, {"retry", 1}, {"critical", false}});
  spdlog::info("plain \"message\"");
  std::string text = log.out.str();
  std::istringstream lines(text);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  BOOST_TEST(first.find("\"level\":\"warn\",\"event\":\"job.retrying\",\"job_id\":\"abc\","
                        "\"error\":\"line1\\nline2\\t\\u0001\",\"retry\":1,\"critical\":false,\"worker_id\":\"host:1\"}") !=
                 std::string::npos,
             first);
  BOOST_TEST(first.rfind("{\"time\":\"", 0) == 0, first);
  BOOST_TEST(second.find("\"msg\":\"plain \\\"message\\\"\",\"worker_id\":\"host:1\"}") != std::string::npos, second);
}

BOOST_AUTO_TEST_CASE(disabled_levels_log_nothing) {
  CapturedLog log(LogFormat::text);
  log_event(spdlog::level::debug, "claim.round_trip", {{"got", 0}});
  BOOST_TEST(log.out.str().empty());
}

BOOST_AUTO_TEST_CASE(log_names_parse_and_bad_ones_are_rejected) {
  BOOST_TEST(parse_log_level("warn") == spdlog::level::warn);
  BOOST_TEST(parse_log_level("warning") == spdlog::level::warn);
  BOOST_TEST(parse_log_level("error") == spdlog::level::err);
  BOOST_CHECK_THROW(parse_log_level("loud"), std::invalid_argument);
  BOOST_TEST((parse_log_format("json") == LogFormat::json));
  BOOST_CHECK_THROW(parse_log_format("xml"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wakeups)

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

BOOST_AUTO_TEST_CASE(notify_makes_fd_readable_until_drained) {
  Wakeup w;
  BOOST_TEST(!readable(w.fd()));
  w.notify();
  w.notify();
  BOOST_TEST(readable(w.fd()));
  BOOST_TEST(w.drain());
  BOOST_TEST(!readable(w.fd()));
  BOOST_TEST(!w.drain());
}

BOOST_AUTO_TEST_CASE(notify_from_another_thread_wakes_a_poller) {
  Wakeup w;
  std::thread t([&] { w.notify(); });
  pollfd p{w.fd(), POLLIN, 0};
  BOOST_TEST(::poll(&p, 1, 30000) == 1);  // bounded: fails rather than hangs
  t.join();
  BOOST_TEST(w.drain());
}

BOOST_AUTO_TEST_SUITE_END()
