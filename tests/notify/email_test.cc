#define BOOST_TEST_MODULE notify_email
// The notify handler's email channel end to end: a batch settled by the queue's SQL functions,
// a preference row, `examq worker --job-types notify`, and a real SMTP server (smtp_sink.py).
#include "job_watcher.h"
#include "notify_fixture.h"
#include "smtp_sink.h"
#include "test_database.h"
#include "worker_process.h"

#include <arpa/inet.h>
#include <boost/test/unit_test.hpp>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// A loopback port that refuses connections: bound, never listened on, held until the end.
struct ClosedPort {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int port = 0;
  ClosedPort() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~ClosedPort() { ::close(fd); }
};

// An IPv4 address of this machine that is not loopback, "" when it has none.
std::string non_loopback_address() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    const auto& in = reinterpret_cast<const sockaddr_in&>(*a->ifa_addr);
    if ((ntohl(in.sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    found = ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
  }
  ::freeifaddrs(list);
  return found;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_settled_batch_is_emailed_once_naming_its_papers_and_outcome) {
  TestDatabase db("notify_email");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const SettledBatch batch = settle_batch(conn, "email", "teacher@school.example");
  BOOST_REQUIRE_EQUAL(batch.notify_jobs.size(), 1u);

  SmtpSink smtp;
  ScopedEnv env({{"EXAMQ_SMTP_URL", smtp.url()},
                 {"EXAMQ_SMTP_FROM", "examq@queue.example"},
                 {"EXAMQ_PUBLIC_URL", "https://examq.school.example/"}});
  WorkerLogin login(db);  // not a superuser: reads through row-level security
  WorkerProcess worker(login.conninfo(), "notify-email", {"--job-types", "notify"});
  const std::string& notify = batch.notify_jobs[0];
  const std::string why_completed = wait_for(watcher, worker, notify, "status", "completed");
  BOOST_REQUIRE_MESSAGE(why_completed.empty(), why_completed);

  const auto messages = smtp.messages();
  BOOST_REQUIRE_EQUAL(messages.size(), 1u);  // one email for the batch, not one per paper
  const auto& m = messages[0];
  const auto& h = m.at("headers");
  BOOST_TEST(m.at("mail_from").get_string() == "examq@queue.example");
  BOOST_TEST(m.at("rcpt_tos").get_array().size() == 1u);
  BOOST_TEST(h.at("From").get_string() == "examq@queue.example");
  BOOST_TEST(h.at("To").get_string() == "teacher@school.example");
  BOOST_TEST(h.at("Subject").get_string() ==
             "examq: Batch \"Week 12 – mocks\" completed with errors: 1 of 2 jobs completed, 1 failed");
  BOOST_TEST(h.at("Message-ID").get_string() == "<" + notify + "@queue.example>");
  BOOST_TEST(h.at("MIME-Version").get_string() == "1.0");
  BOOST_TEST(contains(h.at("Date").get_string(), "+0000"));
  BOOST_TEST(m.at("content_type").get_string() == "multipart/alternative");

  const std::string text = m.at("text").get_string();
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(contains(text, "\"Physics <Paper 1>\" (phys-1.pdf): 3 questions, review needed"));
  BOOST_TEST(contains(text, "\"Chemistry\" (chem.pdf): failed: the PDF is encrypted"));
  BOOST_TEST(contains(text, "https://examq.school.example/"));
  const std::string html = m.at("html").get_string();
  BOOST_TEST(contains(html, "Physics &lt;Paper 1&gt;"));
  BOOST_TEST(!contains(html, "<Paper 1>"));
  BOOST_TEST(contains(html, "<a href=\"https://examq.school.example/\">"));
  BOOST_TEST(job_field(conn, notify, "retry_count") == "0");
}

BOOST_AUTO_TEST_CASE(an_smtp_server_that_is_down_is_retried_then_the_notify_job_fails) {
  TestDatabase db("notify_smtp_down");
  {
    // A long backoff, so the job is seen waiting for its retry; the test then makes it due.
    pg::Connection admin = db.connect();
    std::string sql = "ALTER DATABASE " + admin.quote_identifier(db.name()) + " SET examq.retry_backoff_base = '1h'";
    admin.exec(sql.c_str());
  }
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const SettledBatch batch = settle_batch(conn, "email", "teacher@school.example");
  const std::string& notify = batch.notify_jobs.at(0);
  BOOST_TEST(job_field(conn, notify, "max_retries") == "8");

  ClosedPort down;
  const std::string server = "smtp://127.0.0.1:" + std::to_string(down.port);
  ScopedEnv env({{"EXAMQ_SMTP_URL", server}, {"EXAMQ_SMTP_FROM", "examq@queue.example"}});
  WorkerProcess worker(db.conninfo(), "notify-smtp-down", {"--job-types", "notify"});
  const std::string why_1 = wait_for(watcher, worker, notify, "retry_count", "1");
  BOOST_REQUIRE_MESSAGE(why_1.empty(), why_1);
  BOOST_TEST(job_field(conn, notify, "status") == "pending");
  const std::string error = job_field(conn, notify, "error_message");
  BOOST_TEST(contains(error, "sending email to teacher@school.example via " + server + "/ failed: "), error);

  // Retries used up: the next failure is final.
  conn.exec("UPDATE processing_jobs SET max_retries = 1, run_at = now() WHERE id = $1::uuid", notify);
  const std::string why_failed = wait_for(watcher, worker, notify, "status", "failed");
  BOOST_REQUIRE_MESSAGE(why_failed.empty(), why_failed);
  BOOST_TEST(job_field(conn, notify, "retry_count") == "1");
  BOOST_TEST(contains(job_field(conn, notify, "error_message"), server));
}

BOOST_AUTO_TEST_CASE(an_email_without_an_smtp_server_configured_fails_at_once) {
  TestDatabase db("notify_no_smtp");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const SettledBatch batch = settle_batch(conn, "email", "teacher@school.example");
  const std::string& notify = batch.notify_jobs.at(0);
  ScopedEnv env({{"EXAMQ_SMTP_URL", ""}});
  WorkerProcess worker(db.conninfo(), "notify-no-smtp", {"--job-types", "notify"});
  const std::string why_failed = wait_for(watcher, worker, notify, "status", "failed");
  BOOST_REQUIRE_MESSAGE(why_failed.empty(), why_failed);
  BOOST_TEST(job_field(conn, notify, "error_message") == "EXAMQ_SMTP_URL is not set");
  BOOST_TEST(job_field(conn, notify, "retry_count") == "0");
}

BOOST_AUTO_TEST_CASE(smtp_to_a_server_off_loopback_without_starttls_fails_critical_unsent) {
  const std::string address = non_loopback_address();
  if (address.empty()) {
    BOOST_TEST_MESSAGE("skipped: this machine has no IPv4 address but loopback");
    return;
  }
  TestDatabase db("notify_starttls");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const SettledBatch batch = settle_batch(conn, "email", "teacher@school.example");
  const std::string& notify = batch.notify_jobs.at(0);
  SmtpSink smtp("0.0.0.0");  // offers no STARTTLS
  ScopedEnv env({{"EXAMQ_SMTP_URL", "smtp://" + address + ":" + std::to_string(smtp.port())}});
  WorkerProcess worker(db.conninfo(), "notify-starttls", {"--job-types", "notify"});
  const std::string why_failed = wait_for(watcher, worker, notify, "status", "failed");
  BOOST_REQUIRE_MESSAGE(why_failed.empty(), why_failed);
  BOOST_TEST(job_field(conn, notify, "retry_count") == "0");
  BOOST_TEST(contains(job_field(conn, notify, "error_message"), "the server offers no STARTTLS, which smtp:// requires"));
  BOOST_TEST(smtp.messages().empty());
}
