#define BOOST_TEST_MODULE http_serve
// `examq serve` end to end: the real binary on a loopback port, a real PostgreSQL (a throwaway
// database from the template), requests with libcurl. Waits on the server's log line, on
// responses and on events, never on time.

#include "http/api.h"
#include "http/event_hub.h"
#include "pg/pool.h"
#include "http/jwt.h"
#include "http_client.h"
#include "serve_fixture.h"
#include "job_watcher.h"
#include "pg/connection.h"
#include "test_database.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <tao/json/from_string.hpp>
#include <tao/json/value.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

BOOST_GLOBAL_FIXTURE(UserRole);

BOOST_AUTO_TEST_CASE(healthz_needs_no_token_and_reports_the_database) {
  Served s("http_health");
  HttpResponse r = s.get("/healthz", {});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(json_of(r).at("database").get_string() == "ok");
}

BOOST_AUTO_TEST_CASE(every_endpoint_but_healthz_refuses_missing_expired_forged_and_unsigned_tokens) {
  Served s("http_auth");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string expired = token(true, "00000000-0000-0000-0000-0000000000a1", -3600);
  const std::string forged = http::mint_jwt(tao::json::value{{"sub", "x"}, {"exp", now + 3600}, {"app_metadata", tao::json::value{{"role", "admin"}}}},
                                            "another-secret-that-is-also-long-enough-000000");
  // {"alg":"none"} with the admin claims and no signature.
  const std::string unsigned_token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + forged.substr(forged.find('.') + 1, forged.rfind('.') - forged.find('.') - 1) + ".";
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"POST", "/functions/v1/create-exam-paper-job"}, {"POST", "/functions/v1/process-background-jobs"},
      {"GET", "/api/jobs"}, {"GET", "/api/jobs/00000000-0000-0000-0000-000000000001"},
      {"POST", "/api/jobs/00000000-0000-0000-0000-000000000001/cancel"}, {"POST", "/api/jobs/00000000-0000-0000-0000-000000000001/retry"},
      {"GET", "/api/stats"}, {"GET", "/api/papers/00000000-0000-0000-0000-000000000001/questions"},
      {"GET", "/api/papers/00000000-0000-0000-0000-000000000001/pages/1"}, {"GET", "/api/events"},
      {"POST", "/api/papers/00000000-0000-0000-0000-000000000001/retag"}};
  for (const auto& [method, path] : routes) {
    BOOST_TEST_CONTEXT(method << " " << path) {
      BOOST_TEST(http_request(method, s.base + path, {}).status == 401);
      BOOST_TEST(http_request(method, s.base + path, {bearer(expired)}).status == 401);
      BOOST_TEST(http_request(method, s.base + path, {bearer(forged)}).status == 401);
      BOOST_TEST(http_request(method, s.base + path, {bearer(unsigned_token)}).status == 401);
      BOOST_TEST(http_request(method, s.base + path, {"Authorization: Bearer not.a.token"}).status == 401);
    }
  }
  HttpResponse r = s.get("/api/jobs", {bearer(expired)});
  BOOST_TEST(json_of(r).at("success").get_boolean() == false);
  BOOST_TEST(r.header("www-authenticate") == "Bearer");
}

BOOST_AUTO_TEST_CASE(create_exam_paper_job_answers_like_the_seed) {
  Served s("http_create");
  const std::string admin = bearer(token(true));
  const std::string paper = s.new_paper();

  HttpResponse r = s.post("/functions/v1/create-exam-paper-job", {admin, "Content-Type: application/json"},
                          R"({"examPaperId": ")" + paper + R"(", "priority": "high", "hasInsert": false})");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  tao::json::value v = json_of(r);
  // The seed's body: JSON.stringify({success, jobId, message, estimatedTime}).
  BOOST_TEST(std::regex_match(r.body, std::regex(R"(^\{"success":true,"jobId":"[0-9a-f-]{36}","message":"Job created successfully","estimatedTime":\d+\}$)")),
             r.body);
  BOOST_TEST(v.at("success").get_boolean());
  BOOST_TEST(v.at("message").get_string() == "Job created successfully");
  BOOST_TEST(v.at("estimatedTime").is_integer());
  const std::string job = v.at("jobId").get_string();
  BOOST_TEST(job_field(s.conn(), job, "priority") == "10");
  // The claims' sub is the creator.
  BOOST_TEST(job_field(s.conn(), job, "created_by") == "00000000-0000-0000-0000-0000000000a1");

  r = s.post("/functions/v1/create-exam-paper-job", {admin}, R"({"examPaperId": ")" + paper + R"("})");
  BOOST_TEST(r.status == 409);
  BOOST_TEST(json_of(r).at("jobId").get_string() == job);

  r = s.post("/functions/v1/create-exam-paper-job", {admin}, R"({"examPaperId": "00000000-0000-0000-0000-00000000dead"})");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(json_of(r).at("success").get_boolean() == false);

  for (const std::string& bad : {std::string(R"({"examPaperId": "not-a-uuid"})"), std::string(R"({})"), std::string("{not json"),
                                 R"({"examPaperId": ")" + paper + R"(", "priority": "urgent"})",
                                 R"({"examPaperId": ")" + paper + R"(", "base64Images": [1, 2]})"}) {
    BOOST_TEST_CONTEXT(bad) {
      HttpResponse b = s.post("/functions/v1/create-exam-paper-job", {admin}, bad);
      BOOST_TEST(b.status == 400);
      BOOST_TEST(json_of(b).at("error").get_string().size() > 0u);
    }
  }
  // A non-admin caller: the database refuses (the function checks the claims).
  r = s.post("/functions/v1/create-exam-paper-job", {bearer(token(false))}, R"({"examPaperId": ")" + s.new_paper() + R"("})");
  BOOST_TEST(r.status == 403);
  BOOST_TEST(s.conn().exec("SELECT count(*)::int FROM processing_jobs").get<int>(0, 0) == 1);
}

BOOST_AUTO_TEST_CASE(process_background_jobs_names_the_next_job_without_claiming_it) {
  Served s("http_process");
  const std::string admin = bearer(token(true));
  HttpResponse r = s.post("/functions/v1/process-background-jobs", {admin});
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(json_of(r).at("jobId").is_null());
  insert_job(s.conn(), "noop", "{}", 0);
  const std::string urgent = insert_job(s.conn(), "noop", "{}", 5);
  r = s.post("/functions/v1/process-background-jobs", {admin});
  BOOST_TEST(json_of(r).at("success").get_boolean());
  BOOST_TEST(json_of(r).at("jobId").get_string() == urgent);
  BOOST_TEST(count_status(s.conn(), "pending") == 2);
}

BOOST_AUTO_TEST_CASE(jobs_are_listed_filtered_and_paged_and_one_job_is_shown_without_its_payload) {
  Served s("http_jobs");
  const std::string admin = bearer(token(true));
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.insert(insert_job(s.conn(), "noop", R"({"secret_payload": true})"));
  const std::string other = insert_job(s.conn(), "other-type", "{}");

  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    HttpResponse r = s.get("/api/jobs?type=noop&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), {admin});
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    tao::json::value v = json_of(r);
    for (const auto& j : v.at("jobs").get_array()) {
      BOOST_TEST(j.at("job_type").get_string() == "noop");
      BOOST_TEST(seen.insert(j.at("id").get_string()).second);
    }
    cursor = v.at("nextCursor").is_null() ? "" : v.at("nextCursor").get_string();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  BOOST_TEST(pages == 3);
  BOOST_TEST(seen == ids);

  HttpResponse r = s.get("/api/jobs?status=pending&limit=500", {admin});
  BOOST_TEST(json_of(r).at("jobs").get_array().size() == 6u);
  BOOST_TEST(s.get("/api/jobs?status=bogus", {admin}).status == 400);
  BOOST_TEST(s.get("/api/jobs?limit=0", {admin}).status == 400);
  BOOST_TEST(s.get("/api/jobs?cursor=xyz", {admin}).status == 400);
  BOOST_TEST(s.get("/api/jobs?since=yesterday", {admin}).status == 400);
  BOOST_TEST(json_of(s.get("/api/jobs?since=2000-01-01T00:00:00Z", {admin})).at("jobs").get_array().size() == 6u);

  r = s.get("/api/jobs/" + other, {admin});
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(json_of(r).at("job_type").get_string() == "other-type");
  BOOST_TEST(json_of(r).find("payload") == nullptr);
  BOOST_TEST(s.get("/api/jobs/00000000-0000-0000-0000-00000000dead", {admin}).status == 404);
  BOOST_TEST(s.get("/api/jobs/nope", {admin}).status == 400);

  // A non-admin sees no jobs: row-level security, not the server, decides.
  r = s.get("/api/jobs", {bearer(token(false))});
  BOOST_TEST(r.status == 403);
}

BOOST_AUTO_TEST_CASE(cancel_and_retry_go_through_the_sql_functions) {
  Served s("http_cancel");
  const std::string admin = bearer(token(true));
  const std::string id = insert_job(s.conn(), "noop", "{}");
  HttpResponse r = s.post("/api/jobs/" + id + "/cancel", {admin});
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(json_of(r).at("job").at("status").get_string() == "cancelled");
  r = s.post("/api/jobs/" + id + "/cancel", {admin});
  BOOST_TEST(r.status == 409);  // already finished: 55000
  r = s.post("/api/jobs/" + id + "/retry", {admin});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(job_field(s.conn(), id, "status") == "pending");
  BOOST_TEST(s.post("/api/jobs/00000000-0000-0000-0000-00000000dead/cancel", {admin}).status == 404);
  BOOST_TEST(s.get("/api/jobs/" + id + "/cancel", {admin}).status == 405);
}

BOOST_AUTO_TEST_CASE(retag_enqueues_one_job_for_admins_and_maps_the_refusals) {
  Served s("http_retag");
  const std::string admin = bearer(token(true));
  const std::string json = "Content-Type: application/json";
  const std::string paper = s.new_paper("Physics");
  const std::string empty_paper = s.new_paper("Empty");
  const std::string syllabus = "00000000-0000-0000-0000-00000000fb01";
  s.conn().exec("INSERT INTO questions (exam_paper_id, question_number, position, text) VALUES ($1::uuid, '1', 1, 'Energy')", paper);
  s.conn().exec("INSERT INTO syllabus_topics (syllabus_id, code, title) VALUES ($1::uuid, 'P1', 'Energy'), "
                "('00000000-0000-0000-0000-00000000fb02', 'C1', 'Atoms')", syllabus);
  const std::string body = "{\"syllabusId\": \"" + syllabus + "\", \"priority\": \"high\"}";

  HttpResponse r = s.post("/api/papers/" + paper + "/retag", {admin, json}, body);
  BOOST_TEST_REQUIRE(r.status == 202, r.body);
  const std::string job = json_of(r).at("jobId").get_string();
  BOOST_TEST(job_field(s.conn(), job, "job_type") == "retag-questions");
  BOOST_TEST(job_field(s.conn(), job, "priority") == "10");
  r = s.post("/api/papers/" + paper + "/retag", {admin, json}, body);
  BOOST_TEST(r.status == 202);
  BOOST_TEST(json_of(r).at("jobId").get_string() == job);  // the same retag, still pending

  BOOST_TEST(s.post("/api/papers/" + paper + "/retag", {bearer(token(false)), json}, body).status == 403);
  BOOST_TEST(s.post("/api/papers/00000000-0000-0000-0000-00000000dead/retag", {admin, json}, body).status == 404);
  BOOST_TEST(s.post("/api/papers/" + empty_paper + "/retag", {admin, json}, body).status == 409);  // no questions yet
  BOOST_TEST(s.post("/api/papers/" + paper + "/retag", {admin, json},
                    "{\"syllabusId\": \"00000000-0000-0000-0000-00000000fb02\"}").status == 409);  // another syllabus in progress
  BOOST_TEST(s.post("/api/papers/" + empty_paper + "/retag", {admin, json},
                    "{\"syllabusId\": \"00000000-0000-0000-0000-00000000fb99\"}").status == 400);  // no topics
  BOOST_TEST(s.post("/api/papers/" + paper + "/retag", {admin, json}, "{}").status == 400);
  BOOST_TEST(s.post("/api/papers/" + paper + "/retag", {admin, json}, "{\"syllabusId\": \"nope\"}").status == 400);
  BOOST_TEST(s.post("/api/papers/not-a-uuid/retag", {admin, json}, body).status == 400);
  BOOST_TEST(s.get("/api/papers/" + paper + "/retag", {admin}).status == 405);
}

BOOST_AUTO_TEST_CASE(statistics_questions_as_json_and_csv_and_cacheable_page_images) {
  Served s("http_papers");
  const std::string admin = bearer(token(true));
  insert_job(s.conn(), "noop", "{}");
  HttpResponse r = s.get("/api/stats", {admin});
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(json_of(r).at("stats").get_array().size() > 0u);
  r = s.get("/api/stats/history", {admin});
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(json_of(r).at("hours").get_array().size() == 1u);  // the job just inserted
  BOOST_TEST(s.get("/api/stats/history?since=2026-01-01&until=2026-03-01", {admin}).status == 400);  // over 31 days
  BOOST_TEST(s.get("/api/stats/history?since=last%20week", {admin}).status == 400);

  const std::string paper = s.new_paper();
  s.conn().exec("INSERT INTO questions (exam_paper_id, question_number, position, text, marks, page_number) VALUES "
                "($1::uuid, '1', 1, 'Say \"hello\", then stop.', 2, 1), ($1::uuid, '2', 2, 'Second', NULL, 2)",
                paper);
  // Question 2 is tagged with two topics, in that order: one with a code, one without.
  s.conn().exec("INSERT INTO syllabus_topics (id, syllabus_id, code, title, position) VALUES "
                "('00000000-0000-0000-0000-0000000e0001', '00000000-0000-0000-0000-0000000e00aa', 'P1.2', 'Energy', 1),"
                "('00000000-0000-0000-0000-0000000e0002', '00000000-0000-0000-0000-0000000e00aa', NULL, 'Waves', 2)");
  s.conn().exec("UPDATE questions SET topic_ids = '{00000000-0000-0000-0000-0000000e0002,00000000-0000-0000-0000-0000000e0001}' "
                "WHERE exam_paper_id = $1::uuid AND question_number = '2'",
                paper);
  r = s.get("/api/papers/" + paper + "/questions", {admin});
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(json_of(r).at("questions").get_array().size() == 2u);
  BOOST_TEST(json_of(r).at("questions").get_array()[0].at("marks").as<int>() == 2);
  BOOST_TEST(json_of(r).at("questions").get_array()[0].at("topics").get_array().empty());
  const tao::json::value listed = json_of(r);
  const auto& topics = listed.at("questions").get_array()[1].at("topics").get_array();
  BOOST_TEST_REQUIRE(topics.size() == 2u);
  BOOST_TEST(topics[0].at("id").get_string() == "00000000-0000-0000-0000-0000000e0002");
  BOOST_TEST(topics[0].at("code").is_null());
  BOOST_TEST(topics[0].at("title").get_string() == "Waves");
  BOOST_TEST(topics[1].at("code").get_string() == "P1.2");
  r = s.get("/api/papers/" + paper + "/questions?format=csv", {admin});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.header("content-type").find("text/csv") == 0u);
  BOOST_TEST(r.body.find("question_number,parent_number,position,text,marks,page_number,source,topic_ids,topic_codes\r\n") == 0u);
  BOOST_TEST(r.body.find(R"(1,,1,"Say ""hello"", then stop.",2,1,text,[],)" "\r\n") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"(,Waves;P1.2)" "\r\n") != std::string::npos, r.body);
  BOOST_TEST(s.get("/api/papers/00000000-0000-0000-0000-00000000dead/questions", {admin}).status == 404);

  // A tiny JPEG-looking blob: the server serves the stored bytes as they are.
  const std::string jpeg_hex = "ffd8ffe000104a46494600010100000100010000ffd9";
  s.conn().exec("INSERT INTO exam_paper_pages (exam_paper_id, page_number, width, height, dpi, jpeg) VALUES ($1::uuid, 1, 10, 10, 72, decode($2, 'hex'))",
                paper, jpeg_hex);
  r = s.get("/api/papers/" + paper + "/pages/1", {admin});
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(r.header("content-type") == "image/jpeg");
  BOOST_TEST(r.body.size() == jpeg_hex.size() / 2);
  BOOST_TEST(static_cast<unsigned char>(r.body[0]) == 0xffu);
  const std::string etag = r.header("etag");
  BOOST_TEST(!etag.empty());
  BOOST_TEST(r.header("cache-control").find("private") == 0u);
  BOOST_TEST(s.get("/api/papers/" + paper + "/pages/1", {admin, "If-None-Match: " + etag}).status == 304);
  BOOST_TEST(s.get("/api/papers/" + paper + "/pages/2", {admin}).status == 404);
  BOOST_TEST(s.get("/api/papers/" + paper + "/pages/zero", {admin}).status == 400);
}

BOOST_AUTO_TEST_CASE(events_stream_every_change_and_resume_from_last_event_id) {
  Served s("http_events");
  const std::string admin = token(true);
  SseClient stream(s.base + "/api/events", {bearer(admin)});
  // The stream is registered once its first bytes (the retry hint) arrive.
  BOOST_TEST_REQUIRE(stream.wait_raw("retry:", 30s), "the stream did not open: " + stream.raw());
  const std::string id = insert_job(s.conn(), "noop", "{}");
  auto has = [&](const std::string& status) {
    return [&, status](const std::vector<SseEvent>& evs) {
      for (const auto& e : evs) {
        if (e.data.find(id) != std::string::npos && e.data.find("\"status\":\"" + status + "\"") != std::string::npos) return true;
      }
      return false;
    };
  };
  BOOST_TEST_REQUIRE(stream.wait_for(has("pending"), 30s), "no event for the insert; got:\n" + stream.raw());
  const int attempt = s.conn().exec("SELECT attempts FROM get_next_processing_job('w', ARRAY['noop'])").get<int>(0, 0);
  s.conn().exec("SELECT update_job_progress($1::uuid, 40, 'Reading', 'w', $2::integer)", id, attempt);
  BOOST_TEST_REQUIRE(stream.wait_for(
                         [&](const std::vector<SseEvent>& evs) {
                           for (const auto& e : evs) {
                             if (e.data.find(id) != std::string::npos && e.data.find("\"progress_percentage\":40") != std::string::npos) return true;
                           }
                           return false;
                         },
                         30s),
                     "no progress event; got:\n" + stream.raw());
  BOOST_TEST(stream.status() == 200);
  std::string first_id;
  for (const auto& e : stream.events()) {
    if (e.data.find(id) != std::string::npos) {
      BOOST_TEST(e.event == "job");
      tao::json::value v = tao::json::from_string(e.data);
      BOOST_TEST(v.find("updated_at") != nullptr);
      BOOST_TEST(v.find("progress_percentage") != nullptr);
      BOOST_TEST(v.find("current_step") != nullptr);
      if (first_id.empty()) first_id = e.id;
    }
  }
  BOOST_TEST_REQUIRE(!first_id.empty());
  // Every change, in order, as it happened: the insert, the claim, the progress report.
  std::vector<std::string> seen;
  for (const auto& e : stream.events()) {
    if (e.data.find(id) == std::string::npos) continue;
    tao::json::value v = tao::json::from_string(e.data);
    seen.push_back(v.at("status").get_string() + "/" + std::to_string(v.at("progress_percentage").as<int>()));
  }
  BOOST_TEST(seen == (std::vector<std::string>{"pending/0", "processing/0", "processing/40"}), boost::test_tools::per_element());

  // Minimal notifications (ids and status only) still give whole events: the row is read.
  s.conn().exec("SET examq.notify_payload = 'minimal'");
  const std::string quiet = insert_job(s.conn(), "noop", "{}");
  s.conn().exec("RESET examq.notify_payload");
  BOOST_TEST(stream.wait_for(
      [&](const std::vector<SseEvent>& evs) {
        for (const auto& e : evs) {
          if (e.data.find(quiet) != std::string::npos && e.data.find("\"job_type\":\"noop\"") != std::string::npos) return true;
        }
        return false;
      },
      30s), "no event for a job inserted with minimal notifications; got:\n" + stream.raw());

  // Changes made while no client is connected are replayed from the table on resume.
  const std::string later = insert_job(s.conn(), "noop", "{}");
  s.conn().exec("SELECT complete_processing_job($1::uuid, '{}', 'w', $2::integer)", id, attempt);
  SseClient resumed(s.base + "/api/events", {bearer(admin), "Last-Event-ID: " + first_id});
  BOOST_TEST(resumed.wait_for(
      [&](const std::vector<SseEvent>& evs) {
        bool done = false, new_job = false;
        for (const auto& e : evs) {
          if (e.data.find(id) != std::string::npos && e.data.find("\"status\":\"completed\"") != std::string::npos) done = true;
          if (e.data.find(later) != std::string::npos) new_job = true;
        }
        return done && new_job;
      },
      30s), "resume did not replay the changes; got:\n" + resumed.raw());
  BOOST_TEST(http_request("GET", s.base + "/api/events", {bearer(admin), "Last-Event-ID: garbage"}).status == 400);
  // A delete reaches admins as a delete event naming the job (sql/0007).
  s.conn().exec("DELETE FROM processing_jobs WHERE id = $1::uuid", later);
  BOOST_TEST(resumed.wait_for(
      [&](const std::vector<SseEvent>& evs) {
        for (const auto& e : evs) {
          if (e.event == "delete" && e.data.find(later) != std::string::npos) return true;
        }
        return false;
      },
      30s), "no delete event; got:\n" + resumed.raw());
  // A token in the query works for EventSource, which cannot send headers.
  SseClient by_query(s.base + "/api/events?access_token=" + admin, {});
  BOOST_TEST(by_query.wait_for([](const std::vector<SseEvent>&) { return false; }, 200ms) == false);
  BOOST_TEST(by_query.status() == 200);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_bounded_and_never_reach_the_database) {
  Served s("http_limits", {"--max-body-kb", "4", "--max-connections", "3", "--request-timeout", "1s"});
  const std::string admin = bearer(token(true));
  // Too large a body: 413 from the parser, before any handler runs.
  HttpResponse r = s.post("/functions/v1/process-background-jobs", {admin}, std::string(8 * 1024, 'x'));
  BOOST_TEST(r.status == 413);
  r = s.get("/api/jobs", {admin, "X-Big: " + std::string(20 * 1024, 'y')});
  BOOST_TEST(r.status == 431);
  BOOST_TEST(s.get("/nowhere", {admin}).status == 404);
  BOOST_TEST(s.get("/api/jobs/%zz", {admin}).status == 400);

  // A client that sends half a request is cut off after --request-timeout.
  const int port = std::stoi(s.base.substr(s.base.rfind(':') + 1));
  auto open_socket = [&] {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
  };
  int slow = open_socket();
  const std::string partial = "GET /api/jobs HTTP/1.1\r\nHost: x\r\n";
  BOOST_REQUIRE(write(slow, partial.data(), partial.size()) == static_cast<ssize_t>(partial.size()));
  pollfd p{slow, POLLIN, 0};
  BOOST_TEST(poll(&p, 1, 20000) == 1);  // readable: closed by the server
  char buf[64];
  BOOST_TEST(read(slow, buf, sizeof buf) <= 0);
  close(slow);

  // Past --max-connections, a new connection is told 503 at once. Hold three connections the
  // server accepted (a request on each answered 200; one answered 503 was over the limit while
  // an earlier request's connection was still being closed on the server's side: try again).
  std::vector<int> held;
  const std::string ping = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int tries = 0; held.size() < 3 && tries < 200; ++tries) {
    int fd = open_socket();
    BOOST_REQUIRE(write(fd, ping.data(), ping.size()) > 0);
    pollfd q{fd, POLLIN, 0};
    BOOST_REQUIRE(poll(&q, 1, 20000) == 1);
    char b[4096];
    const ssize_t n = read(fd, b, sizeof b);
    BOOST_REQUIRE(n > 0);
    if (std::string(b, static_cast<std::size_t>(n)).rfind("HTTP/1.1 200", 0) == 0) {
      held.push_back(fd);
    } else {
      close(fd);
      pollfd none{};
      poll(&none, 0, 20);
    }
  }
  BOOST_TEST_REQUIRE(held.size() == 3u);
  r = s.get("/healthz", {});
  BOOST_TEST(r.status == 503, r.body << " " << s.proc->log());
  for (int fd : held) close(fd);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

BOOST_AUTO_TEST_CASE(uploads_check_every_pdf_first_and_create_all_papers_or_none) {
  Served s("http_upload", {"--max-upload-mb", "1"});
  const std::string admin = bearer(token(true));
  const std::string pdf = read_file(std::string(EXAMQ_SOURCE_DIR) + "/docs/samples/sample-exam-paper.pdf");
  BOOST_TEST_REQUIRE(pdf.size() > 1000u);
  const std::string url = s.base + "/api/papers";
  auto papers = [&] { return s.conn().exec("SELECT count(*)::int FROM exam_papers").get<int>(0, 0); };

  // Two papers, one request: each gets its paper, file and job.
  HttpResponse r = http_upload(url, {admin}, {{"file", pdf, "../../etc/first.pdf"}, {"file", pdf, "second.pdf"}, {"priority", "high", ""}});
  BOOST_TEST_REQUIRE(r.status == 201, r.body);
  tao::json::value v = json_of(r);
  BOOST_TEST(v.at("success").get_boolean());
  BOOST_TEST_REQUIRE(v.at("papers").get_array().size() == 2u);
  const auto& first = v.at("papers").get_array()[0];
  BOOST_TEST(first.at("file").get_string() == "first.pdf");  // no path from the client is kept
  BOOST_TEST(first.at("pages").as<int>() > 0);
  BOOST_TEST(job_field(s.conn(), first.at("jobId").get_string(), "priority") == "10");
  BOOST_TEST(s.conn().exec("SELECT title FROM exam_papers WHERE id = $1::uuid", first.at("examPaperId").get_string()).get<std::string>(0, 0) ==
             "first");
  BOOST_TEST(papers() == 2);

  // One bad file among good ones: refused with its name, nothing created.
  r = http_upload(url, {admin}, {{"file", pdf, "good.pdf"}, {"file", "just some text, not a PDF", "notes.pdf"}});
  BOOST_TEST(r.status == 422);
  BOOST_TEST(json_of(r).at("error").get_string().find("notes.pdf") == 0u);
  BOOST_TEST(papers() == 2);

  // A title with one file, an insert; bad fields and shapes are 400 before anything is read.
  r = http_upload(url, {admin}, {{"file", pdf, "p.pdf"}, {"insert", pdf, "insert.pdf"}, {"title", "June 2024 Paper 1", ""}});
  BOOST_TEST_REQUIRE(r.status == 201, r.body);
  BOOST_TEST(s.conn().exec("SELECT count(*)::int FROM exam_papers WHERE title = 'June 2024 Paper 1'").get<int>(0, 0) == 1);
  BOOST_TEST(http_upload(url, {admin}, {{"title", "no file", ""}}).status == 400);
  BOOST_TEST(http_upload(url, {admin}, {{"file", pdf, "a.pdf"}, {"colour", "red", ""}}).status == 400);
  BOOST_TEST(http_upload(url, {admin}, {{"file", pdf, "a.pdf"}, {"priority", "urgent", ""}}).status == 400);
  BOOST_TEST(http_upload(url, {admin}, {{"file", pdf, "a.pdf"}, {"file", pdf, "b.pdf"}, {"title", "one title", ""}}).status == 400);
  BOOST_TEST(s.post("/api/papers", {admin, "Content-Type: application/json"}, "{}").status == 400);
  // Over --max-upload-mb: 413 while reading.
  BOOST_TEST(http_upload(url, {admin}, {{"file", std::string(2 * 1024 * 1024, 'x'), "huge.pdf"}}).status == 413);
  // Non-admins may not create papers: the database says so.
  BOOST_TEST(http_upload(url, {bearer(token(false))}, {{"file", pdf, "x.pdf"}}).status == 403);
  BOOST_TEST(papers() == 3);
}

BOOST_AUTO_TEST_CASE(an_upload_is_one_batch_listed_shown_filtered_and_announced_when_it_settles) {
  Served s("http_batches");
  const std::string admin = bearer(token(true));
  const std::string pdf = read_file(std::string(EXAMQ_SOURCE_DIR) + "/docs/samples/sample-exam-paper.pdf");
  SseClient stream(s.base + "/api/events", {admin});
  BOOST_TEST_REQUIRE(stream.wait_raw("retry:", 30s), "the stream did not open: " + stream.raw());

  // Two files, one request: one batch, labelled by the first file, in the response and the rows.
  HttpResponse r = http_upload(s.base + "/api/papers", {admin}, {{"file", pdf, "a.pdf"}, {"file", pdf, "b.pdf"}});
  BOOST_TEST_REQUIRE(r.status == 201, r.body);
  tao::json::value v = json_of(r);
  const tao::json::value& batch = v.at("batch");
  const std::string id = batch.at("id").get_string();
  BOOST_TEST(batch.at("label").get_string() == "a.pdf and 1 more");
  BOOST_TEST_REQUIRE(batch.at("jobIds").get_array().size() == 2u);
  BOOST_TEST(v.at("papers").get_array().size() == 2u);
  std::vector<std::string> jobs;
  for (const auto& j : batch.at("jobIds").get_array()) {
    jobs.push_back(j.get_string());
    BOOST_TEST(job_field(s.conn(), j.get_string(), "batch_id") == id);
  }
  // One file with a label: a batch of one, labelled so.
  r = http_upload(s.base + "/api/papers", {admin}, {{"file", pdf, "c.pdf"}, {"batchLabel", "June resits", ""}});
  BOOST_TEST_REQUIRE(r.status == 201, r.body);
  const std::string single = json_of(r).at("batch").at("id").get_string();
  BOOST_TEST(json_of(r).at("batch").at("label").get_string() == "June resits");
  BOOST_TEST(json_of(r).at("batch").at("jobIds").get_array().size() == 1u);
  BOOST_TEST(http_upload(s.base + "/api/papers", {admin}, {{"file", pdf, "d.pdf"}, {"batchLabel", std::string(201, 'x'), ""}}).status == 400);

  // The list, newest first, paged by cursor; filtered by state.
  r = s.get("/api/batches?limit=1", {admin});
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  v = json_of(r);
  BOOST_TEST_REQUIRE(v.at("batches").get_array().size() == 1u);
  BOOST_TEST(v.at("batches").get_array()[0].at("id").get_string() == single);
  BOOST_TEST_REQUIRE(v.at("nextCursor").is_string());
  v = json_of(s.get("/api/batches?limit=1&cursor=" + v.at("nextCursor").get_string(), {admin}));
  BOOST_TEST_REQUIRE(v.at("batches").get_array().size() == 1u);
  const tao::json::value listed = v.at("batches").get_array()[0];
  BOOST_TEST(listed.at("id").get_string() == id);
  BOOST_TEST(listed.at("state").get_string() == "pending");
  BOOST_TEST(listed.at("total").as<int>() == 2);
  BOOST_TEST(listed.at("estimatedSecondsRemaining").as<int>() > 0);
  BOOST_TEST(v.at("nextCursor").is_null());
  BOOST_TEST(json_of(s.get("/api/batches?state=completed", {admin})).at("batches").get_array().empty());
  BOOST_TEST(s.get("/api/batches?state=done", {admin}).status == 400);
  BOOST_TEST(s.get("/api/batches?limit=201", {admin}).status == 400);
  BOOST_TEST(s.get("/api/batches?cursor=xyz", {admin}).status == 400);

  // One batch with its jobs; unknown 404, malformed 400; non-admins are refused by the database.
  r = s.get("/api/batches/" + id, {admin});
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  v = json_of(r);
  BOOST_TEST(v.at("label").get_string() == "a.pdf and 1 more");
  BOOST_TEST_REQUIRE(v.at("jobs").get_array().size() == 2u);
  BOOST_TEST(v.at("jobs").get_array()[0].at("title").get_string() == "a");
  BOOST_TEST(s.get("/api/batches/00000000-0000-0000-0000-00000000dead", {admin}).status == 404);
  BOOST_TEST(s.get("/api/batches/nope", {admin}).status == 400);
  BOOST_TEST(s.get("/api/batches", {bearer(token(false))}).status == 403);

  // Jobs by batch, each naming it.
  v = json_of(s.get("/api/jobs?batch=" + id, {admin}));
  BOOST_TEST_REQUIRE(v.at("jobs").get_array().size() == 2u);
  for (const auto& j : v.at("jobs").get_array()) BOOST_TEST(j.at("batch_id").get_string() == id);
  BOOST_TEST(s.get("/api/jobs?batch=nope", {admin}).status == 400);

  // One job completes, the other is cancelled: the stream says the batch settled, with errors.
  pg::Result claimed = s.conn().exec("SELECT id::text, attempts FROM get_next_processing_job('w', ARRAY['process-exam-paper'])");
  BOOST_TEST_REQUIRE(claimed.rows() == 1);
  const std::string done = claimed.get<std::string>(0, 0);
  s.conn().exec("SELECT complete_processing_job($1::uuid, '{}', 'w', $2::integer)", done, claimed.get<int>(0, 1));
  for (const std::string& j : jobs) {
    if (j != done) BOOST_TEST_REQUIRE(s.post("/api/jobs/" + j + "/cancel", {admin}).status == 200);
  }
  auto batch_event = [&](const std::vector<SseEvent>& evs) {
    for (const auto& e : evs) {
      if (e.event == "batch" && e.data.find(id) != std::string::npos) return true;
    }
    return false;
  };
  BOOST_TEST_REQUIRE(stream.wait_for(batch_event, 30s), "no batch event; got:\n" + stream.raw());
  for (const auto& e : stream.events()) {
    if (e.event != "batch" || e.data.find(id) == std::string::npos) continue;
    const tao::json::value b = tao::json::from_string(e.data);
    BOOST_TEST(b.at("batchId").get_string() == id);
    BOOST_TEST(b.at("op").get_string() == "settled");
    BOOST_TEST(b.at("state").get_string() == "completed_with_errors");
    BOOST_TEST(b.at("total").as<int>() == 2);
    BOOST_TEST(b.at("completed").as<int>() == 1);
    BOOST_TEST(b.at("cancelled").as<int>() == 1);
  }
  v = json_of(s.get("/api/batches/" + id, {admin}));
  BOOST_TEST(v.at("state").get_string() == "completed_with_errors");
  BOOST_TEST(v.at("estimatedSecondsRemaining").as<int>() == 0);
}

BOOST_AUTO_TEST_CASE(a_database_that_goes_away_is_503_not_a_hang_or_a_crash) {
  Served s("http_gone");
  const std::string admin = bearer(token(true));
  BOOST_TEST(s.get("/api/jobs", {admin}).status == 200);
  pg::Connection maintenance("dbname=" + env_or("PGDATABASE", "postgres"), "examq test");
  const std::string drop = "DROP DATABASE " + maintenance.quote_identifier(s.db.name()) + " WITH (FORCE)";
  maintenance.exec(drop.c_str());
  HttpResponse r = s.get("/api/jobs", {admin});
  BOOST_TEST(r.status == 503, r.body);
  BOOST_TEST(json_of(r).at("error").get_string().find("unavailable") != std::string::npos);
  BOOST_TEST(s.get("/healthz", {}).status == 503);
  BOOST_TEST(s.proc->running());
}

BOOST_AUTO_TEST_CASE(the_page_is_served_from_the_binary_and_dev_login_is_off_unless_asked_for) {
  Served s("http_page");
  HttpResponse r = s.get("/", {});
  BOOST_TEST_REQUIRE(r.status == 200);
  BOOST_TEST(r.header("content-type").find("text/html") == 0u);
  BOOST_TEST(r.body.find("/static/app.js") != std::string::npos);
  BOOST_TEST(r.header("content-security-policy").find("default-src 'self'") == 0u);
  BOOST_TEST(s.get("/", {"If-None-Match: " + r.header("etag")}).status == 304);
  r = s.get("/static/app.js", {});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.header("content-type").find("text/javascript") == 0u);
  BOOST_TEST(s.get("/static/nothing.js", {}).status == 404);
  // The first view (page, script, styles) stays small.
  BOOST_TEST(s.get("/", {}).body.size() + r.body.size() + s.get("/static/style.css", {}).body.size() < 100u * 1024);
  BOOST_TEST(s.get("/api/dev-login", {}).status == 404);
  BOOST_TEST(s.post("/api/dev-login", {}).status == 404);

  Served dev("http_dev", {"--dev-login"});
  r = dev.post("/api/dev-login", {});
  BOOST_TEST_REQUIRE(r.status == 200);
  const http::Claims claims = http::verify_jwt(json_of(r).at("token").get_string(), kSecret);
  BOOST_TEST(claims.admin);
  // Anyone who can reach the server could take such a session: loopback only.
  setenv("EXAMQ_JWT_SECRET", kSecret.c_str(), 1);
  WorkerProcess refused({"serve", "--db", dev.db.conninfo(), "--listen", "0.0.0.0:0", "--dev-login"}, "serve-refused");
  auto status = refused.wait_exit(30s);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST((WIFEXITED(*status) && WEXITSTATUS(*status) == 2));
  BOOST_TEST(refused.log().find("loopback") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_route_is_in_the_openapi_file) {
  std::ifstream in(std::string(EXAMQ_SOURCE_DIR) + "/docs/openapi.yaml");
  BOOST_TEST_REQUIRE(static_cast<bool>(in), "docs/openapi.yaml is missing");
  std::set<std::string> documented;
  std::string line, path;
  const std::regex path_re(R"(^  (/[^:]*):\s*$)"), method_re(R"(^    (get|post|put|delete|patch):\s*$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, path_re)) path = m[1];
    else if (!path.empty() && std::regex_match(line, m, method_re)) documented.insert(std::string(m[1]) + " " + path);
  }
  // The routes the server has, from the server's own table (nothing here connects).
  pg::ConnectionPool pool("", "examq test", 1);
  http::CallerDb db(pool, http::RoleConfig{}, false);
  http::EventHub hub("", "examq_admin", db);
  http::Api api(db, hub);
  std::set<std::string> served;
  for (const auto& route : api.routes()) {
    std::string method(boost::beast::http::to_string(route.method));
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    served.insert(method + " " + route.pattern);
  }
  BOOST_TEST(served.size() >= 10u);
  for (const std::string& r : served) BOOST_TEST(documented.count(r) == 1u, r << " is not in docs/openapi.yaml");
  for (const std::string& d : documented) BOOST_TEST(served.count(d) == 1u, d << " is documented but not served");
}
