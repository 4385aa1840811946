#define BOOST_TEST_MODULE queue_in_completion
// A worker run in-process with test handlers, to check what no built-in job type exercises:
// a handler's in_completion callback commits atomically with the job's completion, or not at all.
#include "handlers/registry.h"
#include "pg/connection.h"
#include "pg/listener.h"
#include "queue/worker.h"
#include "test_database.h"
#include "util/log.h"
#include "util/shutdown_signals.h"

#include <boost/test/unit_test.hpp>
#include <spdlog/sinks/base_sink.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <algorithm>

using namespace examq;
using namespace std::chrono_literals;

namespace {

// Gates the test opens to let a handler finish, by name (the job's payload names its gate).
class Gates {
 public:
  std::shared_future<void> get(const std::string& name) {
    std::lock_guard lock(mu_);
    return gates_[name].future;
  }
  void open(const std::string& name) {
    std::lock_guard lock(mu_);
    gates_[name].promise.set_value();
  }

 private:
  struct Gate {
    std::promise<void> promise;
    std::shared_future<void> future = promise.get_future().share();
  };
  std::mutex mu_;
  std::map<std::string, Gate> gates_;
};
Gates g_gates;

// Writes a row in the completion transaction; payload {"gate": name} waits for the gate first,
// {"throw": true} makes the callback fail after writing.
class SideEffectHandler final : public handlers::Handler {
 public:
  handlers::JobOutcome run(handlers::JobContext& ctx) override {
    const auto& payload = ctx.job().payload;
    if (const auto* gate = payload.find("gate")) {
      if (g_gates.get(gate->get_string()).wait_for(60s) != std::future_status::ready) {
        throw handlers::JobError("gate never opened", true);
      }
    }
    const bool fail = payload.find("throw") != nullptr;
    handlers::JobOutcome outcome;
    outcome.result = {{"wrote", true}};
    const std::string id = ctx.job().id;
    outcome.in_completion = [id, fail](pg::Connection& conn) {
      conn.exec("INSERT INTO side_effects (job_id) VALUES ($1::uuid)", id);
      if (fail) throw handlers::JobError("callback failed after writing", true);
    };
    return outcome;
  }
};

// Captures the worker's log lines so tests can wait for an event instead of sleeping.
class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout) {
    std::unique_lock lock(lines_mu_);
    return logged_.wait_for(lock, timeout, [&] { return lines_.find(text) != std::string::npos; });
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    {
      std::lock_guard lock(lines_mu_);
      lines_.append(buf.data(), buf.size());
    }
    logged_.notify_all();
  }
  void flush_() override {}

 private:
  std::mutex lines_mu_;
  std::condition_variable logged_;
  std::string lines_;
};
std::shared_ptr<CapturingSink> g_log;

struct InProcessWorker {
  testing::TestDatabase db{"in_completion"};
  queue::WorkerConfig config;
  handlers::Registry registry;
  std::thread thread;
  queue::WorkerExit exit;

  InProcessWorker() {
    pg::Connection conn = db.connect();
    conn.exec("CREATE TABLE side_effects (job_id uuid PRIMARY KEY)");
    config.conninfo = db.conninfo();
    config.concurrency = 3;
    config.worker_id = "in-process";
    config.poll_interval = 200ms;
    registry.add("side-effect", std::make_unique<SideEffectHandler>());
    g_log = std::make_shared<CapturingSink>();
    util::init_logging(spdlog::level::info, util::LogFormat::text, g_log);
    auto& signals = util::ShutdownSignals::install();
    thread = std::thread([this, &signals] { exit = queue::run_worker(config, registry, signals); });
  }
  ~InProcessWorker() {
    util::ShutdownSignals::install().request(SIGTERM);
    thread.join();
  }
};

InProcessWorker* g_worker = nullptr;
struct GlobalWorker {
  InProcessWorker worker;
  GlobalWorker() { g_worker = &worker; }
};
BOOST_TEST_GLOBAL_FIXTURE(GlobalWorker);

std::string insert(pg::Connection& conn, const std::string& payload) {
  return conn.exec("INSERT INTO processing_jobs (job_type, payload) VALUES ('side-effect', $1::jsonb) RETURNING id", payload)
      .get<std::string>(0, 0);
}

// Waits (on notifications) until the job's status is one of `statuses`; returns it.
std::string wait_status(pg::Connection& conn, const std::string& id, const std::vector<std::string>& statuses) {
  pg::Listener listener({"processing_jobs_changes"});
  listener.subscribe(conn);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    std::string status = conn.exec("SELECT status FROM processing_jobs WHERE id = $1::uuid", id).get<std::string>(0, 0);
    if (std::find(statuses.begin(), statuses.end(), status) != statuses.end()) return status;
    if (std::chrono::steady_clock::now() > deadline) return "timeout (" + status + ")";
    std::vector<pg::Notification> notes;
    listener.wait(conn, nullptr, std::min(deadline, std::chrono::steady_clock::now() + 1s), notes);
  }
}

bool wrote(pg::Connection& conn, const std::string& id) {
  return conn.exec("SELECT EXISTS (SELECT 1 FROM side_effects WHERE job_id = $1::uuid)", id).get<bool>(0, 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(callback_writes_commit_with_the_completion) {
  pg::Connection conn = g_worker->db.connect();
  const std::string id = insert(conn, "{}");
  BOOST_TEST(wait_status(conn, id, {"completed", "failed"}) == "completed");
  BOOST_TEST(wrote(conn, id));
}

BOOST_AUTO_TEST_CASE(failing_callback_fails_the_job_and_writes_nothing) {
  pg::Connection conn = g_worker->db.connect();
  const std::string id = insert(conn, R"({"throw": true})");
  BOOST_TEST(wait_status(conn, id, {"completed", "failed"}) == "failed");
  BOOST_TEST(!wrote(conn, id));
  BOOST_TEST(conn.exec("SELECT error_message FROM processing_jobs WHERE id = $1::uuid", id).get<std::string>(0, 0) ==
             "callback failed after writing");
}

BOOST_AUTO_TEST_CASE(job_taken_over_before_completion_writes_nothing) {
  pg::Connection conn = g_worker->db.connect();
  const std::string id = insert(conn, R"({"gate": "takeover"})");
  BOOST_REQUIRE(wait_status(conn, id, {"processing"}) == "processing");
  // Another worker took the job over (as after a lease expiry) while the handler ran.
  conn.exec("UPDATE processing_jobs SET locked_by = 'someone-else' WHERE id = $1::uuid", id);
  g_gates.open("takeover");
  // The completion is refused (55000), so its transaction, with the callback's row, rolls
  // back; the worker then logs that it lost the job.
  BOOST_REQUIRE(g_log->wait_for("job.lease_lost job_id=" + id, 60s));
  BOOST_TEST(!wrote(conn, id));
  BOOST_TEST(conn.exec("SELECT status FROM processing_jobs WHERE id = $1::uuid", id).get<std::string>(0, 0) == "processing");
}
