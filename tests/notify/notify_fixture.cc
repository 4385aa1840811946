#include "notify_fixture.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace examq::testing {

SettledBatch settle_batch(pg::Connection& conn, const std::string& channel, const std::string& address) {
  SettledBatch b;
  conn.exec("BEGIN");
  b.batch_id = conn.exec("SELECT examq_begin_batch('Week 12 – mocks')::text").get<std::string>(0, 0);
  const auto paper = [&](const char* title, const char* url) {
    return conn.exec("INSERT INTO exam_papers (title, file_url) VALUES ($1, $2) RETURNING id::text", title, url)
        .get<std::string>(0, 0);
  };
  const std::string physics = paper("Physics <Paper 1>", "https://papers.example/2024/phys-1.pdf?sig=abc");
  const std::string chemistry = paper("Chemistry", "https://papers.example/2024/chem.pdf");
  const auto job = [&](const std::string& paper_id) {
    return conn.exec("INSERT INTO processing_jobs (job_type, exam_paper_id) VALUES ('process-exam-paper', $1::uuid) RETURNING id::text",
                     paper_id)
        .get<std::string>(0, 0);
  };
  b.physics_job = job(physics);
  b.chemistry_job = job(chemistry);
  conn.exec("INSERT INTO questions (exam_paper_id, question_number, position) "
            "SELECT $1::uuid, n::text, n FROM generate_series(1, 3) AS n",
            physics);
  const std::string column = channel == "email" ? "email" : "webhook_url";
  const std::string insert =
      "INSERT INTO examq_notification_preferences (role_name, " + column + ", per) VALUES (session_user, $1, 'batch')";
  conn.exec(insert.c_str(), address);
  conn.exec("COMMIT");

  // Settled as another worker would: claim both, complete one with a review, fail the other.
  for (int i = 0; i < 2; ++i) conn.exec("SELECT id FROM get_next_processing_job('settler', ARRAY['process-exam-paper'])");
  conn.exec("SELECT complete_processing_job($1::uuid, '{\"review\": {\"needed\": true}}', worker_id => 'settler', attempt => 1)",
            b.physics_job);
  conn.exec("SELECT fail_processing_job($1::uuid, 'the PDF is encrypted', true, worker_id => 'settler', attempt => 1)",
            b.chemistry_job);
  pg::Result r = conn.exec("SELECT id::text FROM processing_jobs WHERE job_type = 'notify' ORDER BY created_at, id");
  for (int i = 0; i < r.rows(); ++i) b.notify_jobs.push_back(r.get<std::string>(i, 0));
  return b;
}

std::string wait_for(JobWatcher& watcher, WorkerProcess& worker, const std::string& job, const std::string& column,
                     const std::string& value) {
  using namespace std::chrono_literals;
  if (watcher.wait_until([&](pg::Connection& c) { return job_field(c, job, column) == value; }, 60s)) return "";
  pg::Connection& c = watcher.conn();
  return "job " + job + ": " + column + " is " + job_field(c, job, column) + ", not " + value + " (status " +
         job_field(c, job, "status") + ", error " + job_field(c, job, "error_message") + ")\nworker log:\n" + worker.log();
}

WorkerLogin::WorkerLogin(const TestDatabase& db) {
  static std::atomic<int> made{0};
  name_ = "examq_notify_worker_" + std::to_string(::getpid()) + "_" + std::to_string(++made);
  admin_conninfo_ = db.conninfo();
  pg::Connection admin = db.connect();
  const std::string sql = "CREATE ROLE " + admin.quote_identifier(name_) + " LOGIN IN ROLE examq_worker";
  admin.exec(sql.c_str());
  conninfo_ = db.conninfo() + " user=" + name_;
}

WorkerLogin::~WorkerLogin() {
  try {
    pg::Connection admin(admin_conninfo_);
    // The worker registry keeps a row naming the login; it goes with the test database.
    const std::string sql = "DROP ROLE IF EXISTS " + admin.quote_identifier(name_);
    admin.exec(sql.c_str());
  } catch (...) {
  }
}

ScopedEnv::ScopedEnv(std::initializer_list<std::pair<std::string, std::string>> values) {
  for (const auto& [name, value] : values) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old != nullptr ? std::optional<std::string>(old) : std::nullopt);
    if (value.empty()) {
      ::unsetenv(name.c_str());
    } else {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
}

ScopedEnv::~ScopedEnv() {
  for (const auto& [name, value] : saved_) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
}

}  // namespace examq::testing
