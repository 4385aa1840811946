#define BOOST_TEST_MODULE retag_job
// retag-questions end to end: a paper with questions and a syllabus in a real PostgreSQL, the
// job enqueued by examq_retag_exam_paper (sql/0014), run by a real `examq worker` child that logs
// in as a plain examq_worker (row-level security applies), synchronised on the queue's NOTIFY.
#include "job_watcher.h"
#include "notify_fixture.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <tao/json.hpp>

using namespace examq;
using namespace examq::testing;

namespace {

// A paper of four questions (3(a) reads its stem from 3) and two syllabi: physics and history.
struct Paper {
  std::string id;
  std::string physics;
  std::string history;
};

Paper make_paper(pg::Connection& c) {
  Paper p;
  p.id = c.exec("INSERT INTO exam_papers (title) VALUES ('Physics Paper 1') RETURNING id::text").get<std::string>(0, 0);
  c.exec("INSERT INTO questions (exam_paper_id, question_number, parent_number, position, text) VALUES "
         "($1::uuid, '1', NULL, 1, 'Calculate the kinetic energy of a 2 kg trolley moving at 3 m/s.'),"
         "($1::uuid, '2', NULL, 2, 'A ray of light is refracted by a glass block. Draw the refraction.'),"
         "($1::uuid, '3', NULL, 3, 'An ultrasound scanner sends sound waves into the body and detects echoes.'),"
         "($1::uuid, '3(a)', '3', 4, 'What is the frequency range used?'),"
         "($1::uuid, '4', NULL, 5, 'Write your candidate number in the box.')",
         p.id);
  p.physics = "00000000-0000-0000-0000-00000000fa01";
  p.history = "00000000-0000-0000-0000-00000000fa02";
  c.exec("INSERT INTO syllabus_topics (id, syllabus_id, parent_id, code, title, description, position) VALUES "
         "('00000000-0000-0000-0000-0000000f0001', $1::uuid, NULL, 'P1', 'Mechanics', NULL, 1),"
         "('00000000-0000-0000-0000-0000000f0002', $1::uuid, '00000000-0000-0000-0000-0000000f0001', 'P1.1', 'Forces and motion', 'Newton''s laws, resultant force, acceleration', 2),"
         "('00000000-0000-0000-0000-0000000f0003', $1::uuid, '00000000-0000-0000-0000-0000000f0001', 'P1.2', 'Energy', 'Kinetic energy, potential energy, work done, power', 3),"
         "('00000000-0000-0000-0000-0000000f0004', $1::uuid, NULL, 'P2', 'Waves', NULL, 4),"
         "('00000000-0000-0000-0000-0000000f0005', $1::uuid, '00000000-0000-0000-0000-0000000f0004', 'P2.1', 'Sound', 'Longitudinal waves, frequency, echoes, ultrasound', 5),"
         "('00000000-0000-0000-0000-0000000f0006', $1::uuid, '00000000-0000-0000-0000-0000000f0004', 'P2.2', 'Light', 'Reflection, refraction, lenses', 6),"
         "('00000000-0000-0000-0000-0000000f0101', $2::uuid, NULL, 'H1', 'The First World War', 'Trench warfare, the Somme', 1)",
         p.physics, p.history);
  return p;
}

// Each question's topic codes, in paper order: "1=P1.2;2=P2.2;..."
std::string tags(pg::Connection& c, const std::string& paper) {
  return c
      .exec("SELECT string_agg(q.question_number || '=' || coalesce((SELECT string_agg(t.code, ',' ORDER BY u.n) "
            "FROM unnest(q.topic_ids) WITH ORDINALITY AS u(id, n) JOIN syllabus_topics AS t ON t.id = u.id), ''), ';' "
            "ORDER BY q.position) FROM questions AS q WHERE q.exam_paper_id = $1::uuid",
            paper)
      .get<std::string>(0, 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_retag_job_tags_every_question_and_a_rerun_replaces_the_tags) {
  TestDatabase db("retag_job");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const Paper paper = make_paper(conn);
  // Stale tags from an earlier run: the retag replaces them.
  conn.exec("UPDATE questions SET topic_ids = '{00000000-0000-0000-0000-0000000f0002}' WHERE exam_paper_id = $1::uuid",
            paper.id);

  const std::string job =
      conn.exec("SELECT examq_retag_exam_paper($1::uuid, $2::uuid)::text", paper.id, paper.physics).get<std::string>(0, 0);
  WorkerLogin login(db);
  WorkerProcess worker(login.conninfo(), "retag-worker", {"--job-types", "retag-questions"});
  const std::string why = wait_for(watcher, worker, job, "status", "completed");
  BOOST_REQUIRE_MESSAGE(why.empty(), why);

  BOOST_TEST(tags(conn, paper.id) == "1=P1.2;2=P2.2;3=P2.1,P2.2;3(a)=P2.1,P2.2;4=");
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
  BOOST_TEST(tags(conn, paper.id) == "1=;2=;3=;3(a)=;4=");
  BOOST_TEST(tao::json::from_string(job_field(conn, again, "result")).at("tagged").as<std::int64_t>() == 0);
}

BOOST_AUTO_TEST_CASE(a_job_whose_syllabus_lost_its_topics_fails_for_good) {
  TestDatabase db("retag_job_empty");
  JobWatcher watcher(db.conninfo());
  pg::Connection& conn = watcher.conn();
  const Paper paper = make_paper(conn);
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
