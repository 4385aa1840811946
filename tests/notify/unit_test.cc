#define BOOST_TEST_MODULE notify_unit
// Message composition and the webhook signature, without servers.
#include "handlers/handler.h"
#include "notify/email_message.h"
#include "notify/signature.h"
#include "notify/smtp_sender.h"
#include "notify/summary_text.h"
#include "notify/webhook_body.h"

#include <boost/test/unit_test.hpp>
#include <tao/json.hpp>

#include <sstream>

using namespace examq::notify;

namespace {

Notification batch_of_two() {
  Notification n;
  n.notify_job_id = "11111111-2222-3333-4444-555555555555";
  n.event = "batch";
  n.subject_id = "aaaaaaaa-0000-0000-0000-000000000001";
  n.outcome = "completed";
  n.channel = "email";
  n.to = "a@b.example";
  n.batch_label = "Mocks";
  PaperLine p;
  p.job_id = "j1";
  p.job_type = "process-exam-paper";
  p.status = "completed";
  p.paper_id = "p1";
  p.title = "Maths & <Stats>";
  p.file_name = "maths.pdf";
  p.question_count = 1;
  p.review_needed = false;
  n.papers.push_back(p);
  p.job_id = "j2";
  p.title = "";
  p.file_name = "";
  p.paper_id.reset();
  p.review_needed.reset();
  p.question_count = 0;
  n.papers.push_back(p);
  return n;
}

const Envelope kEnvelope{"examq@q.example", "a@b.example", std::chrono::system_clock::from_time_t(0)};

}  // namespace

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc_4231_test_case_2) {
  BOOST_TEST(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(the_webhook_signature_covers_the_timestamp_and_the_body) {
  const std::string s = webhook_signature("k", 1700000000, "{}");
  BOOST_TEST(s == "sha256=" + hmac_sha256_hex("k", "1700000000.{}"));
  BOOST_TEST(s != webhook_signature("k", 1700000001, "{}"));
}

BOOST_AUTO_TEST_CASE(an_email_names_each_paper_with_its_counts_and_review) {
  const std::string m = compose_email(batch_of_two(), kEnvelope, "https://x.example///");
  BOOST_TEST(m.find("From: examq@q.example\r\nTo: a@b.example\r\n") == 0u);
  BOOST_TEST(m.find("Subject: examq: Batch \"Mocks\" completed: 2 of 2 jobs completed\r\n") != std::string::npos);
  BOOST_TEST(m.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n") != std::string::npos);
  BOOST_TEST(m.find("Message-ID: <11111111-2222-3333-4444-555555555555@q.example>\r\n") != std::string::npos);
  BOOST_TEST(paper_summary(batch_of_two().papers[0]) == "1 question, no review needed");
  BOOST_TEST(paper_name(batch_of_two().papers[1]) == "process-exam-paper job j2");
  BOOST_TEST(web_link("https://x.example///") == "https://x.example/");
  // No line longer than RFC 5322's 78 recommended characters.
  std::istringstream lines(m);
  for (std::string line; std::getline(lines, line);) BOOST_TEST(line.size() <= 79u, line);
}

BOOST_AUTO_TEST_CASE(html_escaping_covers_markup_and_quotes) {
  BOOST_TEST(html_escape("Maths & <Stats> \"x\" 'y'") == "Maths &amp; &lt;Stats&gt; &quot;x&quot; &#39;y&#39;");
}

BOOST_AUTO_TEST_CASE(a_non_ascii_subject_is_encoded_in_words_under_76_characters) {
  Notification n = batch_of_two();
  n.batch_label = "Übungsklausur – Woche 12, Physik und Chemie für die Oberstufe";
  const std::string m = compose_email(n, kEnvelope, "");
  const auto start = m.find("Subject: ");
  const auto end = m.find("\r\nDate: ");
  const std::string subject = m.substr(start, end - start);
  BOOST_TEST(subject.find("=?UTF-8?B?") != std::string::npos);
  BOOST_TEST(subject.find("Ü") == std::string::npos);
  std::istringstream lines(subject);
  for (std::string line; std::getline(lines, line);) BOOST_TEST(line.size() <= 80u, line);
}

BOOST_AUTO_TEST_CASE(a_header_value_with_a_line_break_is_refused_not_sent) {
  Notification n = batch_of_two();
  Envelope e = kEnvelope;
  e.to = "a@b.example\r\nBcc: everyone@example.org";
  BOOST_CHECK_EXCEPTION(compose_email(n, e, ""), examq::handlers::JobError,
                        [](const examq::handlers::JobError& err) { return err.critical(); });
  n.batch_label = "x\ny";
  BOOST_CHECK_THROW(compose_email(n, kEnvelope, ""), examq::handlers::JobError);
}

BOOST_AUTO_TEST_CASE(the_webhook_body_carries_the_notify_job_id_and_the_papers) {
  const tao::json::value v = tao::json::from_string(webhook_body(batch_of_two(), "https://x.example"));
  BOOST_TEST(v.at("id").get_string() == "11111111-2222-3333-4444-555555555555");
  BOOST_TEST(v.at("url").get_string() == "https://x.example/");
  BOOST_TEST(v.at("batch").at("papers").get_array().size() == 2u);
  BOOST_TEST(v.at("batch").at("papers")[0].at("title").get_string() == "Maths & <Stats>");
  BOOST_TEST(v.at("batch").at("papers")[1].at("review_needed").is_null());
}

BOOST_AUTO_TEST_CASE(only_loopback_hosts_may_skip_starttls) {
  BOOST_TEST(loopback_host("127.0.0.1"));
  BOOST_TEST(loopback_host("localhost"));
  BOOST_TEST(loopback_host("[::1]"));
  BOOST_TEST(!loopback_host("smtp.example.org"));
  BOOST_TEST(!loopback_host("10.0.0.1"));
}
