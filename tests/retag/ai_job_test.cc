#define BOOST_TEST_MODULE retag_ai_job
// retag-questions through each AI provider (tests/ai's fake servers on 127.0.0.1, no network):
// a real `examq worker` child configured with EXAMQ_EXTRACTOR=openai|anthropic against a real
// PostgreSQL, synchronised on the queue's notifications. What the request holds (no ids, no paper
// title), the tags saved as the model answered them, a garbled row falling back to the embedded
// matcher, and a rate limit snoozing the job.
#include "fake_http_server.h"
#include "job_watcher.h"
#include "notify_fixture.h"
#include "provider_wire.h"
#include "retag_paper.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <stdlib.h>
#include <tao/json.hpp>

#include <mutex>
#include <sys/wait.h>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

using Wires = boost::mpl::list<test::OpenAiWire, test::AnthropicWire>;

// A worker that runs retag-questions with the fake provider at `config`, logged in as `login`
// (a plain examq_worker, which must outlive it).
std::unique_ptr<WorkerProcess> ai_worker(const WorkerLogin& login, const ai::AiConfig& config, const char* provider,
                                         const std::vector<std::pair<std::string, std::string>>& extra_env = {}) {
  for (const auto& [name, value] : extra_env) setenv(name.c_str(), value.c_str(), 1);
  setenv("EXAMQ_EXTRACTOR", provider, 1);
  setenv("EXAMQ_AI_BASE_URL", config.base_url.c_str(), 1);
  setenv("EXAMQ_AI_MODEL", config.model.c_str(), 1);
  setenv("EXAMQ_AI_API_KEY", config.api_key.c_str(), 1);
  setenv("no_proxy", "127.0.0.1,localhost", 1);
  auto w = std::make_unique<WorkerProcess>(login.conninfo(), std::string("retag-ai-") + provider,
                                           std::vector<std::string>{"--job-types", "retag-questions"});
  for (const char* v : {"EXAMQ_EXTRACTOR", "EXAMQ_AI_BASE_URL", "EXAMQ_AI_MODEL", "EXAMQ_AI_API_KEY"}) unsetenv(v);
  for (const auto& [name, value] : extra_env) unsetenv(name.c_str());
  return w;
}

// The model's text content of a request: the user message's text, whatever the provider.
std::string user_text(const tao::json::value& body) {
  const auto& content = body.at("messages").get_array().back().at("content");
  if (content.is_string()) return content.get_string();
  std::string text;
  for (const auto& block : content.get_array()) text += block.at("text").get_string();
  return text;
}

// Records every request body.
struct Recorder {
  std::mutex mu;
  std::vector<std::string> bodies;
  void add(const std::string& b) {
    std::lock_guard lock(mu);
    bodies.push_back(b);
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mu);
    return bodies;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(ai_tags_are_saved_and_a_garbled_row_falls_back_to_the_embedded_matcher, Wire, Wires) {
  TestDatabase db(std::string("retag_ai_") + Wire::name);
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const RetagPaper paper = make_retag_paper(conn, "Secret Title Paper 7");

  Recorder recorder;
  test::FakeHttpServer server([&](const test::FakeRequest& r) {
    recorder.add(r.body);
    // 1: an unknown reference dropped; 3(a): garbled (a number, not a reference); 4: none.
    return Wire::answer(tao::json::from_string(R"j({"questions": [
        {"number": "1", "topics": ["T9", "T2"]},
        {"number": "2", "topics": ["T4"]},
        {"number": "3", "topics": ["T3", "T3", "T4", "T1"]},
        {"number": "3(a)", "topics": [7]},
        {"number": "4", "topics": []}]})j"),
                        900, 80);
  });
  const std::string job =
      conn.exec("SELECT examq_retag_exam_paper($1::uuid, $2::uuid)::text", paper.id, paper.physics).get<std::string>(0, 0);
  WorkerLogin login(db);
  auto worker = ai_worker(login, Wire::config(server), Wire::name);
  const std::string why = wait_for(watcher, *worker, job, "status", "completed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why + "\n" + worker->log());

  // 3 keeps at most EXAMQ_RETAG_MAX_TOPICS (2), without repeats; 3(a) is the embedded matcher's.
  BOOST_TEST(topic_tags(conn, paper.id) == "1=P1.2;2=P2.2;3=P2.1,P2.2;3(a)=P2.1,P2.2;4=");
  const auto result = tao::json::from_string(job_field(conn, job, "result"));
  BOOST_TEST(result.at("method").get_string() == "ai+embedded");
  BOOST_TEST(result.at("ai_questions").as<std::int64_t>() == 4);
  BOOST_TEST(result.at("embedded_questions").as<std::int64_t>() == 1);
  BOOST_TEST(result.at("tagged").as<std::int64_t>() == 4);
  BOOST_TEST(result.at("ai").at("requests").as<std::int64_t>() == 1);
  BOOST_TEST(result.at("ai").at("input_tokens").as<std::int64_t>() == 900);
  BOOST_TEST(result.at("ai").at("output_tokens").as<std::int64_t>() == 80);
  BOOST_TEST(result.at("ai").at("provider").get_string() == Wire::name);

  // What left the machine: question numbers and texts, topics as references; no id, no title.
  const auto bodies = recorder.all();
  BOOST_REQUIRE_EQUAL(bodies.size(), 1u);
  const std::string& body = bodies.front();
  BOOST_TEST(body.find("Secret Title") == std::string::npos);
  BOOST_TEST(body.find(paper.id) == std::string::npos);
  BOOST_TEST(body.find(paper.physics) == std::string::npos);
  BOOST_TEST(body.find("0000000f000") == std::string::npos, "no topic id");
  BOOST_TEST(body.find(job) == std::string::npos);
  const auto request = tao::json::from_string(body);
  const std::string text = user_text(request);
  BOOST_TEST(text.find("T4: P2.2 Light - Reflection, refraction, lenses (in: Waves)") != std::string::npos, text);
  BOOST_TEST(text.find(R"j({"number":"3(a)","text":"What is the frequency range used?"})j") != std::string::npos, text);
  BOOST_TEST(text.find("T5") == std::string::npos, "only leaves are offered");
  if (std::string(Wire::name) == "openai") {
    BOOST_TEST(request.at("response_format").at("json_schema").at("strict").get_boolean());
  } else {
    BOOST_TEST(request.at("tool_choice").at("name").get_string() == "record_questions");
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_row_answered_gives_method_ai, Wire, Wires) {
  TestDatabase db(std::string("retag_ai_all_") + Wire::name);
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const RetagPaper paper = make_retag_paper(conn, "Secret Title Paper 7");
  test::FakeHttpServer server([&](const test::FakeRequest&) {
    return Wire::answer(tao::json::from_string(R"j({"questions": [
        {"number": "1", "topics": ["T1"]}, {"number": "2", "topics": ["T1"]}, {"number": "3", "topics": ["T1"]},
        {"number": "3(a)", "topics": ["T1"]}, {"number": "4", "topics": ["T1"]}]})j"));
  });
  const std::string job =
      conn.exec("SELECT examq_retag_exam_paper($1::uuid, $2::uuid)::text", paper.id, paper.physics).get<std::string>(0, 0);
  WorkerLogin login(db);
  auto worker = ai_worker(login, Wire::config(server), Wire::name);
  const std::string why = wait_for(watcher, *worker, job, "status", "completed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why + "\n" + worker->log());
  BOOST_TEST(topic_tags(conn, paper.id) == "1=P1.1;2=P1.1;3=P1.1;3(a)=P1.1;4=P1.1");
  BOOST_TEST(tao::json::from_string(job_field(conn, job, "result")).at("method").get_string() == "ai");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_provider_that_keeps_rate_limiting_snoozes_the_retag_job, Wire, Wires) {
  TestDatabase db(std::string("retag_ai_429_") + Wire::name);
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const RetagPaper paper = make_retag_paper(conn, "Secret Title Paper 7");
  conn.exec("UPDATE questions SET topic_ids = '{00000000-0000-0000-0000-0000000f0002}' WHERE exam_paper_id = $1::uuid",
            paper.id);
  test::FakeHttpServer server([&](const test::FakeRequest&) { return Wire::rate_limited("3600"); });
  const std::string job =
      conn.exec("SELECT examq_retag_exam_paper($1::uuid, $2::uuid)::text", paper.id, paper.physics).get<std::string>(0, 0);
  WorkerLogin login(db);
  auto worker = ai_worker(login, Wire::config(server), Wire::name, {{"EXAMQ_AI_MAX_RETRIES", "0"}});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [&](pg::Connection& c) { return job_field(c, job, "current_step").rfind("Snoozed", 0) == 0; },
                            120s),
                        "job not snoozed; log:\n" + worker->log());
  BOOST_TEST(job_field(conn, job, "status") == "pending");
  BOOST_TEST(job_field(conn, job, "retry_count") == "0");
  BOOST_TEST(conn.exec("SELECT run_at > now() + interval '50 minutes' FROM processing_jobs WHERE id = $1::uuid", job)
                 .get<bool>(0, 0),
             "the snooze honours Retry-After");
  auto details = conn.exec("SELECT error_details->>'kind', error_details->'usage'->>'requests' FROM processing_jobs "
                           "WHERE id = $1::uuid",
                           job);
  BOOST_TEST(details.get<std::string>(0, 0) == "rate_limited");
  BOOST_TEST(details.get<std::string>(0, 1) == "1");
  // Nothing was saved: the old tags stand.
  BOOST_TEST(topic_tags(conn, paper.id) == "1=P1.1;2=P1.1;3=P1.1;3(a)=P1.1;4=P1.1");
}

BOOST_AUTO_TEST_CASE(embedded_method_sends_nothing_even_with_an_ai_extractor) {
  TestDatabase db("retag_ai_embedded");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const RetagPaper paper = make_retag_paper(conn, "Secret Title Paper 7");
  test::FakeHttpServer server([&](const test::FakeRequest&) { return test::OpenAiWire::server_error(); });
  const std::string job =
      conn.exec("SELECT examq_retag_exam_paper($1::uuid, $2::uuid)::text", paper.id, paper.physics).get<std::string>(0, 0);
  WorkerLogin login(db);
  auto worker = ai_worker(login, test::OpenAiWire::config(server), "openai", {{"EXAMQ_RETAG_METHOD", "embedded"}});
  const std::string why = wait_for(watcher, *worker, job, "status", "completed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why + "\n" + worker->log());
  BOOST_TEST(server.request_count() == 0);
  BOOST_TEST(tao::json::from_string(job_field(conn, job, "result")).at("method").get_string() == "embedded");
}

BOOST_AUTO_TEST_CASE(method_ai_without_an_ai_extractor_stops_the_worker_at_start) {
  TestDatabase db("retag_ai_none");
  setenv("EXAMQ_RETAG_METHOD", "ai", 1);
  WorkerProcess worker(db.conninfo(), "retag-ai-none", {"--job-types", "retag-questions"});
  unsetenv("EXAMQ_RETAG_METHOD");
  const std::optional<int> status = worker.wait_exit(30s);
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(WIFEXITED(*status));
  BOOST_TEST(WEXITSTATUS(*status) == 2);
  BOOST_TEST(worker.log().find("EXAMQ_RETAG_METHOD=ai needs an AI extractor") != std::string::npos, worker.log());
}
