#define BOOST_TEST_MODULE pipeline_ai
// The process-exam-paper job end to end through each AI backend: a real worker process sends the
// rendered pages to a fake provider on 127.0.0.1 speaking the real wire format, and the questions
// are saved as the fake returned them, tagged with the syllabus topics. A provider that keeps
// rate-limiting snoozes the job without using a retry.
#include "exam_paper.h"
#include "ai/base64.h"
#include "ai/image_fit.h"
#include "ai/provider_limits.h"
#include "fake_provider.h"
#include "test_support.h"
#include "job_watcher.h"
#include "paper_submission.h"
#include "test_database.h"
#include "pipeline/bytea.h"
#include "worker_process.h"

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <stdlib.h>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

using Wires = boost::mpl::list<test::OpenAiWire, test::AnthropicWire>;

bool all_settled(pg::Connection& c) {
  return c.exec("SELECT count(*) = 0 FROM processing_jobs WHERE status IN ('pending', 'processing') AND run_at <= now()")
      .get<bool>(0, 0);
}

// Starts a worker whose extractor is the fake provider behind `config`.
std::unique_ptr<WorkerProcess> ai_worker(const TestDatabase& db, const ai::AiConfig& config, const char* provider,
                                         const std::vector<std::pair<std::string, std::string>>& extra_env = {}) {
  for (const auto& [name, value] : extra_env) setenv(name.c_str(), value.c_str(), 1);
  setenv("EXAMQ_EXTRACTOR", provider, 1);
  setenv("EXAMQ_AI_BASE_URL", config.base_url.c_str(), 1);
  setenv("EXAMQ_AI_MODEL", config.model.c_str(), 1);
  setenv("EXAMQ_AI_API_KEY", config.api_key.c_str(), 1);
  auto w = std::make_unique<WorkerProcess>(db.conninfo(), std::string("ai-") + provider, std::vector<std::string>{"--concurrency", "2"});
  for (const char* v : {"EXAMQ_EXTRACTOR", "EXAMQ_AI_BASE_URL", "EXAMQ_AI_MODEL", "EXAMQ_AI_API_KEY"}) unsetenv(v);
  for (const auto& [name, value] : extra_env) unsetenv(name.c_str());
  return w;
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(ai_backend_questions_are_saved_as_the_model_returned_them, Wire, Wires) {
  TestDatabase db(std::string("pipe_ai_") + Wire::name);
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  auto syllabus = c.exec("SELECT gen_random_uuid()").get<std::string>(0, 0);
  auto kinematics = c.exec("INSERT INTO syllabus_topics (syllabus_id, code, title, position) VALUES ($1::uuid, 'P1', 'Kinematics', 1) RETURNING id",
                           syllabus).get<std::string>(0, 0);
  c.exec("INSERT INTO syllabus_topics (syllabus_id, code, title, position) VALUES ($1::uuid, 'P2', 'Energy', 2)", syllabus);

  test::FakeProvider<Wire> provider([](const test::SentBatch& batch, int) {
    auto rows = test::paper_rows(batch.pages, false);
    for (auto& row : rows) row.topic_refs = {"T1"};
    return Wire::answer(test::answer_json(rows, batch.asks_for_topics));
  });
  auto paper = fixtures::make_exam_paper(fixtures::layout("sample"));
  auto sub = c.exec("SELECT r ->> 'jobId', r ->> 'examPaperId' FROM submit_exam_paper('AI paper', 'ai.pdf', $1::bytea, 0, $2::uuid) AS r",
                    pipeline::to_bytea_hex(paper.pdf), syllabus);
  const std::string job_id(sub.text(0, 0)), paper_id(sub.text(0, 1));

  auto worker = ai_worker(db, provider.config(), Wire::name);
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 120s), "job did not settle; log:\n" + worker->log());
  BOOST_REQUIRE_MESSAGE(job_field(c, job_id, "status") == "completed",
                        job_field(c, job_id, "error_message") + "\nlog:\n" + worker->log());

  // What the model received: every rendered page, as JPEG, with the syllabus's topics asked for.
  auto batches = provider.batches();
  BOOST_REQUIRE_EQUAL(batches.size(), 1u);  // 6 pages, 8 a request
  BOOST_TEST(batches[0].pages == std::vector<int>({1, 2, 3, 4, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(batches[0].asks_for_topics);
  for (const auto& image : batches[0].images) BOOST_TEST(image.substr(0, 3) == std::string("\xff\xd8\xff", 3));

  // What was saved: the fake's rows, in order, source ai, tagged with the topic's id.
  auto rows = c.exec("SELECT question_number, coalesce(parent_number, ''), marks, page_number, text, source, topic_ids::text "
                     "FROM questions WHERE exam_paper_id = $1::uuid ORDER BY position",
                     paper_id);
  auto want = test::paper_rows({1, 2, 3, 4, 5, 6}, false);
  BOOST_REQUIRE_EQUAL(rows.rows(), static_cast<int>(want.size()));
  for (int i = 0; i < rows.rows(); ++i) {
    const auto& w = want[static_cast<std::size_t>(i)];
    BOOST_TEST_CONTEXT("row " << i + 1) {
      BOOST_TEST(rows.get<std::string>(i, 0) == w.number);
      BOOST_TEST(rows.get<std::string>(i, 1) == w.parent_number);
      BOOST_TEST(rows.get<std::optional<int>>(i, 2).value_or(-1) == w.marks.value_or(-1));
      BOOST_TEST(rows.get<int>(i, 3) == w.page_number);
      BOOST_TEST(rows.get<std::string>(i, 4) == w.text);
      BOOST_TEST(rows.get<std::string>(i, 5) == "ai");
      BOOST_TEST(rows.get<std::string>(i, 6) == "{" + kinematics + "}");
    }
  }
  auto result = c.exec("SELECT result->>'extractor', result->'ai'->>'provider', result->'ai'->>'model', "
                       "(result->'ai'->>'requests')::int, (result->'ai'->>'input_tokens')::int FROM processing_jobs WHERE id = $1::uuid",
                       job_id);
  BOOST_TEST(result.get<std::string>(0, 0) == Wire::name);
  BOOST_TEST(result.get<std::string>(0, 1) == Wire::name);
  BOOST_TEST(result.get<std::string>(0, 2) == provider.config().model);
  BOOST_TEST(result.get<int>(0, 3) == 1);
  BOOST_TEST(result.get<int>(0, 4) > 0);
  BOOST_TEST(worker->log().find(provider.key()) == std::string::npos, "the API key was logged");

  // The AI's rows are reviewed against the rendered text layer: the sample's cover states 41
  // marks, the fake's parts carry 2 + 3 + 4 + 5 + 1 + 2.
  auto review = c.exec("SELECT (result->'review'->>'stated_total')::int, (result->'review'->>'marks_sum')::int, "
                       "result->'review'->'reasons' ? 'marks_total_mismatch' FROM processing_jobs WHERE id = $1::uuid",
                       job_id);
  BOOST_TEST(review.get<int>(0, 0) == 41);
  BOOST_TEST(review.get<int>(0, 1) == 17);
  BOOST_TEST(review.get<bool>(0, 2));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_provider_that_keeps_rate_limiting_snoozes_the_job_without_a_retry, Wire, Wires) {
  TestDatabase db(std::string("pipe_snooze_") + Wire::name);
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  test::FakeProvider<Wire> provider([](const test::SentBatch&, int) { return Wire::rate_limited("3600"); });
  auto sub = submit_paper(c, "busy", "busy.pdf", fixtures::make_exam_paper(fixtures::layout("simple-q")).pdf);
  auto worker = ai_worker(db, provider.config(), Wire::name);
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(
                            [&](pg::Connection& conn) {
                              return job_field(conn, sub.job_id, "current_step").rfind("Snoozed", 0) == 0;
                            },
                            120s),
                        "job not snoozed; log:\n" + worker->log());
  BOOST_TEST(job_field(c, sub.job_id, "status") == "pending");
  BOOST_TEST(job_field(c, sub.job_id, "retry_count") == "0");
  BOOST_TEST(c.exec("SELECT run_at > now() + interval '50 minutes' FROM processing_jobs WHERE id = $1::uuid", sub.job_id)
                 .get<bool>(0, 0), "the snooze honours Retry-After");
  auto details = c.exec("SELECT (error_details->>'snoozes')::int, error_details->>'kind', error_details->'usage' ? 'requests', "
                        "error_details->>'snooze_reason' FROM processing_jobs WHERE id = $1::uuid",
                        sub.job_id);
  BOOST_TEST(details.get<int>(0, 0) == 1, "the snooze is counted");
  BOOST_TEST(details.get<std::string>(0, 1) == "rate_limited");
  BOOST_TEST(details.get<bool>(0, 2), "the usage spent is recorded");
  BOOST_TEST(details.get<std::string>(0, 3).find("HTTP 429") != std::string::npos, details.get<std::string>(0, 3));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_bad_answer_is_retried_and_fails_for_good_only_when_every_attempt_was_bad, Wire, Wires) {
  TestDatabase db(std::string("pipe_bad_") + Wire::name);
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  test::FakeProvider<Wire> provider([](const test::SentBatch&, int) { return Wire::answer_text("I see a page."); });
  auto sub = submit_paper(c, "bad", "bad.pdf", fixtures::make_exam_paper(fixtures::layout("simple-q")).pdf);
  c.exec("UPDATE processing_jobs SET max_retries = 1 WHERE id = $1::uuid", sub.job_id);
  auto worker = ai_worker(db, provider.config(), Wire::name);
  // First attempt: a retry is scheduled (not a critical failure), with the usage spent.
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([&](pg::Connection& conn) { return job_field(conn, sub.job_id, "retry_count") == "1"; }, 120s),
                        "no retry; log:\n" + worker->log());
  auto first = c.exec("SELECT status, error_details->>'kind', (error_details->>'bad_answer_attempts')::int, "
                      "(error_details->'usage'->>'output_tokens')::int FROM processing_jobs WHERE id = $1::uuid",
                      sub.job_id);
  BOOST_TEST(first.get<std::string>(0, 0) == "pending");
  BOOST_TEST(first.get<std::string>(0, 1) == "bad_answer");
  BOOST_TEST(first.get<int>(0, 2) == 1);
  BOOST_TEST(first.get<int>(0, 3) > 0, "the billed answers are recorded");
  c.exec("UPDATE processing_jobs SET run_at = now() WHERE id = $1::uuid AND status = 'pending'", sub.job_id);
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([&](pg::Connection& conn) { return job_field(conn, sub.job_id, "status") == "failed"; }, 120s),
                        "not failed; log:\n" + worker->log());
  BOOST_TEST(c.exec("SELECT (error_details->>'bad_answer_attempts')::int FROM processing_jobs WHERE id = $1::uuid", sub.job_id)
                 .get<int>(0, 0) == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rows_dropped_after_a_reask_complete_the_job_with_a_review_reason, Wire, Wires) {
  TestDatabase db(std::string("pipe_drop_") + Wire::name);
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  test::FakeProvider<Wire> provider([](const test::SentBatch& batch, int) {
    auto rows = test::paper_rows(batch.pages, false);
    rows.front().marks = -5;  // never valid
    return Wire::answer(test::answer_json(rows, false));
  });
  auto sub = submit_paper(c, "drop", "drop.pdf", fixtures::make_exam_paper(fixtures::layout("simple-q")).pdf);
  auto worker = ai_worker(db, provider.config(), Wire::name);
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 120s), "job did not settle; log:\n" + worker->log());
  BOOST_REQUIRE_MESSAGE(job_field(c, sub.job_id, "status") == "completed",
                        job_field(c, sub.job_id, "error_message") + "\nlog:\n" + worker->log());
  auto r = c.exec("SELECT (result->'ai'->>'rows_dropped')::int, (result->'ai'->>'reasked_batches')::int, "
                  "result->'ai'->'dropped_rows'->0->>'number', result->'review'->'reasons' ? 'ai_rows_dropped', "
                  "(result->'review'->>'needed')::boolean FROM processing_jobs WHERE id = $1::uuid",
                  sub.job_id);
  BOOST_TEST(r.get<int>(0, 0) == 1);
  BOOST_TEST(r.get<int>(0, 1) == 1);
  BOOST_TEST(r.get<std::string>(0, 2) == "1");
  BOOST_TEST(r.get<bool>(0, 3));
  BOOST_TEST(r.get<bool>(0, 4));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(endless_rate_limiting_fails_the_job_once_the_snooze_budget_is_spent, Wire, Wires) {
  TestDatabase db(std::string("pipe_budget_") + Wire::name);
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  test::FakeProvider<Wire> provider([](const test::SentBatch&, int) { return Wire::rate_limited("1"); });
  auto sub = submit_paper(c, "busy", "busy.pdf", fixtures::make_exam_paper(fixtures::layout("simple-q")).pdf);
  c.exec("UPDATE processing_jobs SET max_retries = 0 WHERE id = $1::uuid", sub.job_id);
  auto worker = ai_worker(db, provider.config(), Wire::name,
                          {{"EXAMQ_AI_MAX_RETRIES", "0"}, {"EXAMQ_AI_MAX_SNOOZES", "2"}, {"EXAMQ_AI_RETRY_MAX_DELAY", "2s"}});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([&](pg::Connection& conn) { return job_field(conn, sub.job_id, "status") == "failed"; }, 120s),
                        "job not failed; status " + job_field(c, sub.job_id, "status") + "; log:\n" + worker->log());
  auto r = c.exec("SELECT attempts, retry_count, error_message, error_details->>'kind', (error_details->>'snoozes')::int, "
                  "(error_details->>'snooze_budget_spent')::boolean, error_details->'usage' ? 'requests' "
                  "FROM processing_jobs WHERE id = $1::uuid",
                  sub.job_id);
  BOOST_TEST(r.get<int>(0, 0) == 3);  // two snoozes, then the failure
  BOOST_TEST(r.get<int>(0, 1) == 0);
  const std::string message = r.get<std::string>(0, 2);
  BOOST_TEST(message.find("EXAMQ_AI_MAX_SNOOZES=2") != std::string::npos, message);
  BOOST_TEST(message.find("HTTP 429") != std::string::npos, message);  // the provider's answer
  BOOST_TEST(r.get<std::string>(0, 3) == "rate_limited");
  BOOST_TEST(r.get<int>(0, 4) == 2);
  BOOST_TEST(r.get<bool>(0, 5));
  BOOST_TEST(r.get<bool>(0, 6), "the usage spent is recorded");
  BOOST_TEST(provider.batches().size() == 3u);
}

// A local server whose context cuts the prompt silently (as Ollama's does) would complete the job
// with few or no questions; told its context, the worker fails the job instead, saying what to raise.
BOOST_AUTO_TEST_CASE(a_local_server_that_cuts_the_prompt_fails_the_job_naming_its_context_setting) {
  TestDatabase db("pipe_cut_prompt");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  test::ContextLimitedModel<test::OpenAiWire> model{1024, 1105, 0};
  test::FakeProvider<test::OpenAiWire> provider([&](const test::SentBatch& b, int a) { return model(b, a); });
  auto sub = submit_paper(c, "cut", "cut.pdf", fixtures::make_exam_paper(fixtures::layout("simple-q")).pdf);
  auto worker = ai_worker(db, provider.config(), "openai", {{"EXAMQ_AI_CONTEXT_TOKENS", "16384"}});
  BOOST_REQUIRE_MESSAGE(watcher.wait_until([&](pg::Connection& conn) { return job_field(conn, sub.job_id, "status") == "failed"; }, 120s),
                        "not failed; log:\n" + worker->log());
  BOOST_REQUIRE(!provider.batches().empty());
  BOOST_TEST(model.cuts(provider.batches().front()));
  auto row = c.exec("SELECT error_message, error_details->>'kind', retry_count FROM processing_jobs WHERE id = $1::uuid",
                    sub.job_id);
  const std::string message = row.get<std::string>(0, 0);
  BOOST_TEST(message.find("the server cut the prompt") != std::string::npos, message);
  BOOST_TEST(message.find("OLLAMA_CONTEXT_LENGTH / num_ctx, llama.cpp -c, vLLM --max-model-len") != std::string::npos, message);
  BOOST_TEST(row.get<std::string>(0, 1) == "request_rejected");
  BOOST_TEST(row.get<int>(0, 2) == 0, "not retried: only the server's setting can fix it");
}

// Images an app supplies (base64_images) go through the provider's limits like rendered pages: a
// 9000 px panorama past Anthropic's 8000 and OpenAI's 2048 reaches the fake shrunk, and the
// result says so. The stored page keeps the app's image.
BOOST_AUTO_TEST_CASE_TEMPLATE(an_app_supplied_image_past_the_provider_limits_is_shrunk_before_sending, Wire, Wires) {
  TestDatabase db(std::string("pipe_ai_limits_") + Wire::name);
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  test::FakeProvider<Wire> provider([](const test::SentBatch& batch, int) {
    return Wire::answer(test::answer_json(test::paper_rows(batch.pages, false), batch.asks_for_topics));
  });
  const std::string big = test::real_jpeg(9000, 1500, false);
  const std::string small = test::real_jpeg(1000, 1400, false);
  auto paper = c.exec("INSERT INTO exam_papers (title) VALUES ('App images') RETURNING id").get<std::string>(0, 0);
  auto job = c.exec("SELECT create_exam_paper_job($1::uuid, ARRAY[$2, $3]) ->> 'jobId'", paper, ai::base64_encode(big),
                    ai::base64_encode(small));
  const std::string job_id(job.text(0, 0));

  auto worker = ai_worker(db, provider.config(), Wire::name);
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 120s), "job did not settle; log:\n" + worker->log());
  BOOST_REQUIRE_MESSAGE(job_field(c, job_id, "status") == "completed",
                        job_field(c, job_id, "error_message") + "\nlog:\n" + worker->log());

  auto batches = provider.batches();
  BOOST_REQUIRE_EQUAL(batches.size(), 1u);
  BOOST_REQUIRE_EQUAL(batches[0].images.size(), 2u);
  const int max_side = ai::limits_for(provider.config().provider).max_side;
  auto sent = ai::jpeg_dimensions(batches[0].images[0]);
  BOOST_REQUIRE(sent);
  BOOST_TEST(sent->width == max_side);
  BOOST_TEST(sent->height == 1500 * max_side / 9000);
  BOOST_TEST(batches[0].images[1] == small);
  auto result = c.exec("SELECT (result->'ai'->>'images_downscaled')::int, (result->'ai'->>'batches_split')::int "
                       "FROM processing_jobs WHERE id = $1::uuid",
                       job_id);
  BOOST_TEST(result.get<int>(0, 0) == 1);
  BOOST_TEST(result.get<int>(0, 1) == 0);
  BOOST_TEST(worker->log().find("ai.image.downscaled") != std::string::npos);
}

// An app image past the limits is shrunk in a sandboxed child, not in the worker: one that is
// corrupt (truncated) or a decompression bomb (a small file declaring 65000x65000 pixels) fails
// its job for good with a message naming the image, is never sent, and the same worker goes on
// to complete the next job.
BOOST_AUTO_TEST_CASE(a_corrupt_or_bomb_app_image_fails_its_job_naming_the_image_and_the_worker_goes_on) {
  using Wire = test::OpenAiWire;
  TestDatabase db("pipe_ai_bad_images");
  JobWatcher watcher(db.conninfo());
  pg::Connection& c = watcher.conn();
  test::FakeProvider<Wire> provider([](const test::SentBatch& batch, int) {
    return Wire::answer(test::answer_json(test::paper_rows(batch.pages, false), batch.asks_for_topics));
  });
  const std::string small = test::real_jpeg(1000, 1400, false);
  const std::string big = test::real_jpeg(9000, 1500, false);
  const std::string truncated = big.substr(0, big.size() / 2);
  const std::string bomb = test::with_declared_size(test::real_jpeg(64, 64, false), 65000, 65000);
  auto job_with = [&](const char* title, const std::string& first, const std::string& second) {
    auto paper = c.exec("INSERT INTO exam_papers (title) VALUES ($1) RETURNING id", title).get<std::string>(0, 0);
    return c.exec("SELECT create_exam_paper_job($1::uuid, ARRAY[$2, $3]) ->> 'jobId'", paper, ai::base64_encode(first),
                  ai::base64_encode(second)).get<std::string>(0, 0);
  };
  const std::string corrupt_job = job_with("Truncated", small, truncated);
  const std::string bomb_job = job_with("Bomb", bomb, small);

  auto worker = ai_worker(db, provider.config(), Wire::name);
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 120s), "jobs did not settle; log:\n" + worker->log());
  auto failure = [&](const std::string& id) {
    return c.exec("SELECT status, retry_count, error_message, error_details->>'kind' FROM processing_jobs WHERE id = $1::uuid", id);
  };
  auto r = failure(corrupt_job);
  BOOST_TEST(r.get<std::string>(0, 0) == "failed");
  BOOST_TEST(r.get<int>(0, 1) == 0, "critical: not retried");
  BOOST_TEST(r.get<std::string>(0, 2).find("page image 2 is past the provider's limits and could not be shrunk") == 0,
             r.get<std::string>(0, 2));
  BOOST_TEST(r.get<std::string>(0, 3) == "bad_image");
  r = failure(bomb_job);
  BOOST_TEST(r.get<std::string>(0, 0) == "failed");
  BOOST_TEST(r.get<std::string>(0, 2).find("page image 1 ") == 0, r.get<std::string>(0, 2));
  BOOST_TEST(r.get<std::string>(0, 2).find("declares 65000x65000 pixels") != std::string::npos, r.get<std::string>(0, 2));
  BOOST_TEST(provider.batches().empty(), "nothing was sent for either job");

  const std::string good_job = job_with("Fine", big, small);
  BOOST_REQUIRE_MESSAGE(watcher.wait_until(all_settled, 120s), "job did not settle; log:\n" + worker->log());
  BOOST_REQUIRE_MESSAGE(job_field(c, good_job, "status") == "completed",
                        job_field(c, good_job, "error_message") + "\nlog:\n" + worker->log());
  BOOST_REQUIRE_EQUAL(provider.batches().size(), 1u);
  BOOST_TEST(ai::jpeg_dimensions(provider.batches()[0].images[0])->width == ai::limits_for(provider.config().provider).max_side);
  BOOST_TEST(worker->running());
}
