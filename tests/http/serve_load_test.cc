#define BOOST_TEST_MODULE http_serve_load
// `examq serve` under load (issue 15, item 5): 200 event-stream clients at once while papers are
// uploaded over HTTP and a real worker runs them, plus a stream of small jobs. Every admin
// client must see every change of every job, in order, exactly as PostgreSQL announced it (a
// listener of our own records that); a non-admin client must see none of them.

#include "http_client.h"
#include "job_watcher.h"
#include "pg/listener.h"
#include "serve_fixture.h"
#include "worker_process.h"

#include <boost/test/unit_test.hpp>
#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

using namespace examq;
using namespace examq::testing;
using namespace std::chrono_literals;

namespace {

// Records every notification on processing_jobs_changes: the truth the clients are held to.
class Recorder {
 public:
  explicit Recorder(const std::string& conninfo) : conn_(conninfo, "examq test recorder"), listener_({"processing_jobs_changes"}) {
    listener_.subscribe(conn_);
    thread_ = std::thread([this] {
      std::vector<pg::Notification> notes;
      while (!stop_.load()) {
        notes.clear();
        listener_.wait(conn_, nullptr, std::chrono::steady_clock::now() + 200ms, notes);
        std::lock_guard lock(mu_);
        for (auto& n : notes) payloads_.push_back(std::move(n.payload));
        if (!notes.empty()) changed_.notify_all();
      }
    });
  }
  // Waits until pred(payloads so far) holds, or timeout; returns pred's value.
  bool wait_for(const std::function<bool(const std::vector<std::string>&)>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return pred(payloads_); });
  }
  ~Recorder() {
    stop_.store(true);
    thread_.join();
  }
  std::vector<std::string> payloads() {
    std::lock_guard lock(mu_);
    return payloads_;
  }

 private:
  pg::Connection conn_;
  pg::Listener listener_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> payloads_;
  std::thread thread_;
};

// job id -> its changes, each "status|progress|step|updated_at", in order.
using History = std::map<std::string, std::vector<std::string>>;

std::string key_of(const tao::json::value& v) {
  auto text = [&](const char* k) {
    const auto* f = v.find(k);
    return f == nullptr || f->is_null() ? std::string("-") : f->is_string() ? f->get_string() : tao::json::to_string(*f);
  };
  return text("status") + "|" + text("progress_percentage") + "|" + text("current_step") + "|" + text("updated_at");
}

History history_of_payloads(const std::vector<std::string>& payloads) {
  History h;
  for (const auto& p : payloads) {
    tao::json::value v = tao::json::from_string(p);
    h[v.at("id").get_string()].push_back(key_of(v));
  }
  return h;
}

// The job events only (each upload is a batch too, whose settle is an `event: batch`).
History history_of_events(const std::vector<SseEvent>& events) {
  History h;
  for (const auto& e : events) {
    if (e.event != "job") continue;
    tao::json::value v = tao::json::from_string(e.data);
    h[v.at("id").get_string()].push_back(key_of(v));
  }
  return h;
}

std::size_t count_events(const std::vector<SseEvent>& events, const std::string& kind) {
  return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const SseEvent& e) { return e.event == kind; }));
}

std::size_t changes(const History& h) {
  std::size_t n = 0;
  for (const auto& [id, list] : h) n += list.size();
  return n;
}

}  // namespace

BOOST_GLOBAL_FIXTURE(UserRole);

BOOST_AUTO_TEST_CASE(two_hundred_streams_each_see_every_change_of_their_jobs) {
  constexpr int kAdmins = 190, kUsers = 10, kUploads = 4, kSmallJobs = 60;
  Served s("http_load", {"--db-connections", "4"});
  Recorder recorder(s.db.conninfo());
  const std::string admin = token(true), user = token(false, "00000000-0000-0000-0000-0000000000b7");

  std::vector<std::unique_ptr<SseClient>> clients;
  for (int i = 0; i < kAdmins + kUsers; ++i) {
    clients.push_back(std::make_unique<SseClient>(s.base + "/api/events", std::vector<std::string>{bearer(i < kAdmins ? admin : user)}));
  }
  for (auto& c : clients) BOOST_TEST_REQUIRE(c->wait_raw("retry:", 60s), "a stream did not open: status " << c->status());

  const auto t0 = std::chrono::steady_clock::now();
  auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  BOOST_TEST_MESSAGE("streams open");
  WorkerProcess worker(s.db.conninfo(), "load-worker", {"--concurrency", "2"});
  std::ifstream in(std::string(EXAMQ_SOURCE_DIR) + "/docs/samples/sample-exam-paper.pdf", std::ios::binary);
  std::ostringstream pdf;
  pdf << in.rdbuf();
  // A stream of uploads and of small jobs, interleaved.
  for (int i = 0; i < kSmallJobs; ++i) {
    insert_job(s.conn(), "noop", R"({"sleep_ms": 20, "steps": 2})");
    if (i % (kSmallJobs / kUploads) == 0) {
      HttpResponse r = http_upload(s.base + "/api/papers", {bearer(admin)}, {{"file", pdf.str(), "load-" + std::to_string(i) + ".pdf"}});
      BOOST_TEST_REQUIRE(r.status == 201, r.body);
    }
  }
  const int total = kSmallJobs + kUploads;
  BOOST_TEST_MESSAGE("submitted after " << since() << " s");
  BOOST_REQUIRE_MESSAGE(s.watcher.wait_until(
                            [&](pg::Connection& c) {
                              return c.exec("SELECT count(*)::int FROM processing_jobs WHERE status IN ('completed', 'failed')").get<int>(0, 0) == total;
                            },
                            300s),
                        "jobs did not finish; worker log:\n" + worker.log());

  BOOST_TEST_MESSAGE("jobs finished after " << since() << " s");
  // The truth: every change PostgreSQL announced. Wait until the recorder and then every admin
  // client have as many as the table says happened (the last notifications may still be on
  // their way).
  const bool recorded = recorder.wait_for(
      [&](const std::vector<std::string>& payloads) {
        const History h = history_of_payloads(payloads);
        if (h.size() != static_cast<std::size_t>(total)) return false;
        for (const auto& [id, list] : h) {
          if (list.back().rfind("completed|", 0) != 0 && list.back().rfind("failed|", 0) != 0) return false;
        }
        return true;
      },
      60s);
  BOOST_TEST_REQUIRE(recorded);
  const History truth = history_of_payloads(recorder.payloads());
  const std::size_t expected = changes(truth);
  BOOST_TEST_MESSAGE(expected << " changes of " << total << " jobs to " << clients.size() << " clients");

  int exact = 0;
  for (int i = 0; i < kAdmins; ++i) {
    SseClient& c = *clients[static_cast<std::size_t>(i)];
    // Every job change, and each upload's batch settling once (an upload is a batch of one).
    c.wait_for([&](const std::vector<SseEvent>& evs) {
      return count_events(evs, "job") >= expected && count_events(evs, "batch") >= static_cast<std::size_t>(kUploads);
    }, 60s);
    const History seen = history_of_events(c.events());
    BOOST_TEST_CONTEXT("admin client " << i) {
      BOOST_TEST(!c.ended());
      BOOST_TEST(seen == truth);
      BOOST_TEST(count_events(c.events(), "batch") == static_cast<std::size_t>(kUploads));
      if (seen == truth) ++exact;
    }
  }
  BOOST_TEST(exact == kAdmins);
  for (int i = kAdmins; i < kAdmins + kUsers; ++i) {
    BOOST_TEST_CONTEXT("user client " << i) {
      // Row-level security shows them no job, and no batch (not even their settle events).
      BOOST_TEST(clients[static_cast<std::size_t>(i)]->events().empty());
      BOOST_TEST(clients[static_cast<std::size_t>(i)]->status() == 200);
    }
  }
  BOOST_TEST(json_of(s.get("/healthz", {})).at("event_streams").as<int>() == kAdmins + kUsers);
  for (auto& c : clients) c->stop();
}
