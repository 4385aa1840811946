#include "serve_fixture.h"

#include "http/jwt.h"

#include <boost/test/unit_test.hpp>
#include <tao/json/from_string.hpp>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <regex>

namespace examq::testing {

using namespace std::chrono_literals;

const std::string kSecret = "test-secret-that-is-long-enough-for-hs256-0123456789";

std::string token(bool admin, const std::string& sub, std::int64_t ttl) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  tao::json::value claims{{"sub", sub}, {"role", "authenticated"}, {"iat", now}, {"exp", now + ttl}};
  if (admin) claims["app_metadata"] = tao::json::value{{"role", "admin"}};
  return examq::http::mint_jwt(claims, kSecret);
}

std::string bearer(const std::string& t) { return "Authorization: Bearer " + t; }

Served::Served(const std::string& label, std::vector<std::string> extra) : db(label), watcher(db.conninfo()) {
  setenv("EXAMQ_JWT_SECRET", kSecret.c_str(), 1);
  std::vector<std::string> args = {"serve", "--db", db.conninfo(), "--listen", "127.0.0.1:0", "--user-role", "examq_http_test_user"};
  args.insert(args.end(), extra.begin(), extra.end());
  proc = std::make_unique<WorkerProcess>(args, "serve");
  // The server prints its address once it listens.
  const std::regex listening(R"(listening on (http://127\.0\.0\.1:\d+))");
  std::smatch m;
  for (int i = 0; i < 600; ++i) {
    const std::string log = proc->log();
    if (std::regex_search(log, m, listening)) {
      base = m[1];
      break;
    }
    BOOST_REQUIRE_MESSAGE(proc->running(), "examq serve exited:\n" + log);
    pollfd none{};
    poll(&none, 0, 50);  // the log file has no readiness signal: re-read it
  }
  BOOST_REQUIRE_MESSAGE(!base.empty(), "examq serve did not start:\n" + proc->log());
  // Events flow once the hub LISTENs; /healthz says when.
  for (int i = 0; i < 600; ++i) {
    HttpResponse h = http_request("GET", base + "/healthz");
    if (h.body.find("\"listening\"") != std::string::npos) return;
    pollfd none{};
    poll(&none, 0, 50);
  }
  BOOST_FAIL("the event hub never listened:\n" + proc->log());
}

Served::~Served() {
  if (proc && proc->running()) {
    proc->signal(SIGTERM);
    proc->wait_exit(30s);
  }
}

std::string Served::new_paper(const std::string& title) {
  return conn().exec("INSERT INTO exam_papers (title) VALUES ($1) RETURNING id::text", title).get<std::string>(0, 0);
}

tao::json::value json_of(const HttpResponse& r) {
  try {
    return tao::json::from_string(r.body);
  } catch (const std::exception&) {
    BOOST_FAIL("not JSON (status " << r.status << "): " << r.body);
  }
  return {};
}

UserRole::UserRole() {
  TestDatabase setup("http_role");
  pg::Connection c = setup.connect();
  // Two suites may start at once: the second CREATE ROLE then finds it made.
  c.exec("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'examq_http_test_user') THEN "
         "CREATE ROLE examq_http_test_user NOLOGIN; END IF; "
         "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
}

}  // namespace examq::testing
