#define BOOST_TEST_MODULE retag_job
// retag-questions end to end: a paper with questions and a syllabus in a real PostgreSQL, the
// job enqueued by examq_retag_exam_paper (sql/0014), run by a real `examq worker` child that logs
// in as a plain examq_worker (row-level security applies), synchronised on the queue's NOTIFY.
#include "job_watcher.h"
#include "notify_fixture.h"
#include "retag_paper.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <tao/json.hpp>

using namespace examq;
using namespace examq::testing;

BOOST_AUTO_TEST_CASE(a_retag_job_tags_every_question_and_a_rerun_replaces_the_tags) {
  TestDatabase db("retag_job");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const RetagPaper paper = make_retag_paper(conn);
  // Stale tags from an earlier run: the retag replaces them.
  conn.exec("UPDATE questions SET topic_ids = '{00000000-0000-0000-0000-0000000f0002}' WHERE exam_paper_id = $1::uuid",
            paper.id);

  const std::string job =
      conn.exec("SELECT examq_retag_exam_paper($1::uuid, $2::uuid)::text", paper.id, paper.physics).get<std::string>(0, 0);
  WorkerLogin login(db);
  WorkerProcess worker(login.conninfo(), "retag-worker", {"--job-types", "retag-questions"});
  const std::string why = wait_for(watcher, worker, job, "status", "completed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why);

  BOOST_TEST(topic_tags(conn, paper.id) == "1=P1.2;2=P2.2;3=P2.1,P2.2;3(a)=P2.1,P2.2;4=");
  const auto result = tao::json::from_string(job_field(conn, job, "result"));
  BOOST_TEST(result.at("questions").as<std::int64_t>() == 5);
  BOOST_TEST(result.at("tagged").as<std::int64_t>() == 4);
  BOOST_TEST(result.at("untagged").as<std::int64_t>() == 1);
  BOOST_TEST(result.at("topics_used").as<std::int64_t>() == 3);
  BOOST_TEST(result.at("method").get_string() == "embedded");
  BOOST_TEST(job_field(conn, job, "current_step") == "Completed");
  BOOST_TEST(conn.exec("SELECT syllabus_id::text FROM exam_papers WHERE id = $1::uuid", paper.id).get<std::string>(0, 0) ==
             paper.physics);

  // Again with a syllabus that fits no question: every tag is replaced, by nothing.
  const std::string again =
      conn.exec("SELECT examq_retag_exam_paper($1::uuid, $2::uuid)::text", paper.id, paper.history).get<std::string>(0, 0);
  BOOST_TEST(again != job);
  const std::string why_again = wait_for(watcher, worker, again, "status", "completed");
  BOOST_REQUIRE_MESSAGE(why_again.empty(), why_again);
  BOOST_TEST(topic_tags(conn, paper.id) == "1=;2=;3=;3(a)=;4=");
  BOOST_TEST(tao::json::from_string(job_field(conn, again, "result")).at("tagged").as<std::int64_t>() == 0);
}

BOOST_AUTO_TEST_CASE(a_job_whose_syllabus_lost_its_topics_fails_for_good) {
  TestDatabase db("retag_job_empty");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const RetagPaper paper = make_retag_paper(conn);
  const std::string job =
      conn.exec("SELECT examq_retag_exam_paper($1::uuid, $2::uuid)::text", paper.id, paper.history).get<std::string>(0, 0);
  conn.exec("DELETE FROM syllabus_topics WHERE syllabus_id = $1::uuid", paper.history);
  WorkerLogin login(db);
  WorkerProcess worker(login.conninfo(), "retag-worker", {"--job-types", "retag-questions"});
  const std::string why = wait_for(watcher, worker, job, "status", "failed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why);
  BOOST_TEST(job_field(conn, job, "error_message").find("has no topics") != std::string::npos);
  BOOST_TEST(job_field(conn, job, "retry_count") == "0");  // critical: no retry
}
