#define BOOST_TEST_MODULE worker_metrics_options
// --metrics-listen and --metrics-allow-remote as `examq worker` reads them (no database).
#include "cli/worker_metrics.h"
#include "worker_options_parse.h"

#include <boost/test/unit_test.hpp>

#include <cstdlib>

using namespace examq;

namespace {

std::optional<cli::ListenAddress> address(std::vector<std::string> args) {
  return cli::metrics_address(testing::parse_worker_options(std::move(args)));
}

struct CleanEnv {
  CleanEnv() { clear(); }
  ~CleanEnv() { clear(); }
  static void clear() {
    unsetenv("EXAMQ_METRICS_LISTEN");
    unsetenv("EXAMQ_METRICS_ALLOW_REMOTE");
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(metrics_options, CleanEnv)

BOOST_AUTO_TEST_CASE(metrics_are_off_unless_asked_for) { BOOST_TEST(!address({}).has_value()); }

BOOST_AUTO_TEST_CASE(loopback_addresses_are_accepted) {
  auto a = address({"--metrics-listen", "127.0.0.1:9464"});
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->host == "127.0.0.1");
  BOOST_TEST(a->port == 9464);
  a = address({"--metrics-listen", "[::1]:0"});
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->host == "::1");
}

BOOST_AUTO_TEST_CASE(other_addresses_need_allow_remote) {
  BOOST_CHECK_THROW(address({"--metrics-listen", "0.0.0.0:9464"}), std::invalid_argument);
  BOOST_CHECK_THROW(address({"--metrics-listen", ":9464"}), std::invalid_argument);  // all interfaces
  BOOST_CHECK_THROW(address({"--metrics-listen", "10.1.2.3:9464"}), std::invalid_argument);
  auto a = address({"--metrics-listen", "0.0.0.0:9464", "--metrics-allow-remote"});
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->host == "0.0.0.0");
}

BOOST_AUTO_TEST_CASE(the_environment_sets_both) {
  setenv("EXAMQ_METRICS_LISTEN", "0.0.0.0:9464", 1);
  BOOST_CHECK_THROW(address({}), std::invalid_argument);
  setenv("EXAMQ_METRICS_ALLOW_REMOTE", "1", 1);
  BOOST_TEST(address({}).has_value());
}

BOOST_AUTO_TEST_CASE(malformed_addresses_are_refused) {
  BOOST_CHECK_THROW(address({"--metrics-listen", "9464"}), std::invalid_argument);
  BOOST_CHECK_THROW(address({"--metrics-listen", "127.0.0.1:99999"}), std::invalid_argument);
  BOOST_CHECK_THROW(address({"--metrics-listen", "127.0.0.1:port"}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
