#define BOOST_TEST_MODULE notify_webhook
// The notify handler's webhook channel end to end: a settled batch, a preference row,
// `examq worker --job-types notify`, and a real HTTP receiver on loopback (tests/ai's
// FakeHttpServer) whose requests are checked here as a receiver would: signature, timestamp.
#include "fake_http_server.h"
#include "job_watcher.h"
#include "notify_fixture.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <tao/json.hpp>

#include <atomic>
#include <cstdlib>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

const std::string kSecret = "webhook-test-secret";

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// What a receiver computes (docs/notifications.md): hex HMAC-SHA256 of "<timestamp>.<body>".
std::string expected_signature(const std::string& timestamp, const std::string& body) {
  const std::string data = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    hex += buf;
  }
  return "sha256=" + hex;
}

void set_backoff(TestDatabase& db, const char* base) {
  pg::Connection admin = db.connect();
  std::string sql = "ALTER DATABASE " + admin.quote_identifier(db.name()) + " SET examq.retry_backoff_base = '" + base + "'";
  admin.exec(sql.c_str());
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_settled_batch_is_posted_once_with_a_valid_signature) {
  TestDatabase db("notify_webhook");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  examq::test::FakeHttpServer receiver([](const examq::test::FakeRequest&) { return examq::test::FakeResponse{204}; });
  const SettledBatch batch = settle_batch(conn, "webhook", receiver.url() + "/hooks/examq?token=t");
  const std::string& notify = batch.notify_jobs.at(0);

  ScopedEnv env({{"EXAMQ_FETCH_ALLOW", "127.0.0.1"}, {"EXAMQ_WEBHOOK_SECRET", kSecret}, {"EXAMQ_PUBLIC_URL", ""}});
  WorkerLogin login(db);  // not a superuser: reads through row-level security
  WorkerProcess worker(login.conninfo(), "notify-webhook", {"--job-types", "notify"});
  const std::string why = wait_for(watcher, worker, notify, "status", "completed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why);

  const auto requests = receiver.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 1u);
  const auto& r = requests[0];
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.target == "/hooks/examq?token=t");
  BOOST_TEST(r.header("content-type").value_or("") == "application/json");
  const std::string timestamp = r.header("x-examq-timestamp").value_or("");
  BOOST_REQUIRE(!timestamp.empty());
  BOOST_TEST(std::llabs(std::stoll(timestamp) - static_cast<long long>(std::time(nullptr))) < 300);  // a fresh one
  BOOST_TEST(r.header("x-examq-signature").value_or("") == expected_signature(timestamp, r.body));
  BOOST_TEST(r.header("x-examq-signature").value_or("") != expected_signature(timestamp, r.body + " "));

  const tao::json::value body = tao::json::from_string(r.body);
  BOOST_TEST(body.at("id").get_string() == notify);
  BOOST_TEST(body.at("event").get_string() == "batch");
  BOOST_TEST(body.at("outcome").get_string() == "completed_with_errors");
  BOOST_TEST(body.find("url") == nullptr);
  const auto& b = body.at("batch");
  BOOST_TEST(b.at("id").get_string() == batch.batch_id);
  BOOST_TEST(b.at("label").get_string() == "Week 12 – mocks");
  BOOST_TEST(b.at("total").as<int>() == 2);
  BOOST_TEST(b.at("completed").as<int>() == 1);
  BOOST_TEST(b.at("failed").as<int>() == 1);
  const auto& papers = b.at("papers").get_array();
  BOOST_REQUIRE_EQUAL(papers.size(), 2u);
  const auto& physics = papers[0].at("job_id").get_string() == batch.physics_job ? papers[0] : papers[1];
  const auto& chemistry = papers[0].at("job_id").get_string() == batch.physics_job ? papers[1] : papers[0];
  BOOST_TEST(physics.at("title").get_string() == "Physics <Paper 1>");
  BOOST_TEST(physics.at("file_name").get_string() == "phys-1.pdf");
  BOOST_TEST(physics.at("question_count").as<int>() == 3);
  BOOST_TEST(physics.at("review_needed").get_boolean() == true);
  BOOST_TEST(chemistry.at("status").get_string() == "failed");
  BOOST_TEST(chemistry.at("error_message").get_string() == "the PDF is encrypted");
  // The result names the receiver without its query (where tokens live).
  BOOST_TEST(contains(job_field(conn, notify, "result"), receiver.url() + "/hooks/examq\""));
}

BOOST_AUTO_TEST_CASE(a_receiver_answering_500_is_retried_with_the_same_id) {
  TestDatabase db("notify_webhook_500");
  set_backoff(db, "0");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  std::atomic<int> seen{0};
  examq::test::FakeHttpServer receiver([&](const examq::test::FakeRequest&) {
    return examq::test::FakeResponse{++seen == 1 ? 500 : 200};
  });
  const SettledBatch batch = settle_batch(conn, "webhook", receiver.url() + "/hook");
  const std::string& notify = batch.notify_jobs.at(0);

  ScopedEnv env({{"EXAMQ_FETCH_ALLOW", "127.0.0.0/8"}, {"EXAMQ_WEBHOOK_SECRET", kSecret}});
  WorkerProcess worker(db.conninfo(), "notify-webhook-500", {"--job-types", "notify"});
  const std::string why = wait_for(watcher, worker, notify, "status", "completed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why);
  BOOST_TEST(job_field(conn, notify, "retry_count") == "1");
  BOOST_TEST(job_field(conn, notify, "error_message") == "webhook to " + receiver.url() + "/hook failed: HTTP 500");
  const auto requests = receiver.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  BOOST_TEST(tao::json::from_string(requests[0].body).at("id") == tao::json::from_string(requests[1].body).at("id"));
}

BOOST_AUTO_TEST_CASE(a_webhook_to_loopback_is_refused_unless_allowed) {
  TestDatabase db("notify_webhook_refused");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  examq::test::FakeHttpServer receiver([](const examq::test::FakeRequest&) { return examq::test::FakeResponse{200}; });
  const SettledBatch batch = settle_batch(conn, "webhook", receiver.url() + "/hook");
  const std::string& notify = batch.notify_jobs.at(0);

  ScopedEnv env({{"EXAMQ_FETCH_ALLOW", ""}, {"EXAMQ_WEBHOOK_SECRET", kSecret}});
  WorkerProcess worker(db.conninfo(), "notify-webhook-refused", {"--job-types", "notify"});
  const std::string why = wait_for(watcher, worker, notify, "status", "failed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why);
  BOOST_TEST(job_field(conn, notify, "retry_count") == "0");  // critical: no retry
  const std::string error = job_field(conn, notify, "error_message");
  BOOST_TEST(contains(error, "address 127.0.0.1 of host 127.0.0.1 is not allowed (loopback)"), error);
  BOOST_TEST(contains(error, "EXAMQ_FETCH_ALLOW"), error);
  BOOST_TEST(receiver.connections() == 0);
}

BOOST_AUTO_TEST_CASE(a_webhook_without_a_secret_fails_critical_unsent) {
  TestDatabase db("notify_webhook_nosecret");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  examq::test::FakeHttpServer receiver([](const examq::test::FakeRequest&) { return examq::test::FakeResponse{200}; });
  const SettledBatch batch = settle_batch(conn, "webhook", receiver.url() + "/hook");
  const std::string& notify = batch.notify_jobs.at(0);

  ScopedEnv env({{"EXAMQ_FETCH_ALLOW", "127.0.0.1"}, {"EXAMQ_WEBHOOK_SECRET", ""}});
  WorkerProcess worker(db.conninfo(), "notify-webhook-nosecret", {"--job-types", "notify"});
  const std::string why = wait_for(watcher, worker, notify, "status", "failed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why);
  BOOST_TEST(job_field(conn, notify, "retry_count") == "0");
  BOOST_TEST(contains(job_field(conn, notify, "error_message"), "EXAMQ_WEBHOOK_SECRET is not set"));
  BOOST_TEST(receiver.connections() == 0);
}
