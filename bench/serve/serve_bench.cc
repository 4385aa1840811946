// examq-serve-bench: the client side of bench/serve/run.sh, against a running `examq serve`.
//
//   examq-serve-bench create  --url URL --db CONNINFO --clients N --seconds S
//       N threads, each on its own keep-alive connection, POST create-exam-paper-job for
//       distinct papers (created beforehand) for S seconds: create_requests_per_s.
//   examq-serve-bench latency --url URL --db CONNINFO --clients N --jobs M --interval-ms I
//       N event streams; M jobs inserted one by one (plain INSERT, autocommit), I ms apart;
//       for every (stream, job), the time from just before the INSERT to the event's arrival:
//       latency_p50_ms, latency_p99_ms.
//
// Tokens are minted with $EXAMQ_JWT_SECRET (admin). Prints key=value lines.

#include "http/jwt.h"
#include "http_client.h"
#include "pg/connection.h"

#include <CLI/CLI.hpp>
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <thread>
#include <vector>

using namespace examq;
using Clock = std::chrono::steady_clock;

namespace {

std::string admin_token() {
  const char* secret = std::getenv("EXAMQ_JWT_SECRET");
  if (secret == nullptr) throw std::runtime_error("EXAMQ_JWT_SECRET is not set");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return http::mint_jwt(tao::json::value{{"sub", "00000000-0000-0000-0000-0000000000be"}, {"role", "authenticated"},
                                         {"iat", now}, {"exp", now + 3600}, {"app_metadata", tao::json::value{{"role", "admin"}}}},
                        secret);
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

int create(const std::string& url, const std::string& db, int clients, double seconds) {
  pg::Connection conn(db, "examq serve bench");
  const int papers = std::max(20000, clients * 200);
  pg::Result r = conn.exec("INSERT INTO exam_papers (title) SELECT 'bench ' || g FROM generate_series(1, $1::integer) g RETURNING id::text",
                           papers);
  std::vector<std::string> ids;
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.get<std::string>(i, 0));
  const std::string auth = "Authorization: Bearer " + admin_token();
  std::atomic<std::size_t> next{0};
  std::atomic<long> ok{0}, failed{0};
  std::atomic<bool> go{false};
  const auto until = [&] { return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)); };
  Clock::time_point end;
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&] {
      CURL* c = curl_easy_init();
      curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
      headers = curl_slist_append(headers, "Content-Type: application/json");
      const std::string target = url + "/functions/v1/create-exam-paper-job";
      curl_easy_setopt(c, CURLOPT_URL, target.c_str());
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
      while (!go.load()) std::this_thread::yield();
      for (;;) {
        if (Clock::now() >= end) break;
        const std::size_t i = next.fetch_add(1);
        if (i >= ids.size()) break;
        const std::string body = R"({"examPaperId": ")" + ids[i] + R"("})";
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        (status == 200 ? ok : failed).fetch_add(1);
      }
      curl_slist_free_all(headers);
      curl_easy_cleanup(c);
    });
  }
  const auto start = Clock::now();
  end = until();
  go.store(true);
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "clients=" << clients << "\ncreate_requests=" << ok.load() << "\ncreate_errors=" << failed.load()
            << "\ncreate_requests_per_s=" << static_cast<long>(static_cast<double>(ok.load()) / elapsed) << "\n";
  return failed.load() == 0 ? 0 : 1;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

int latency(const std::string& url, const std::string& db, int clients, int jobs, int interval_ms) {
  const std::string auth = "Authorization: Bearer " + admin_token();
  std::vector<std::unique_ptr<testing::SseClient>> streams;
  for (int i = 0; i < clients; ++i) streams.push_back(std::make_unique<testing::SseClient>(url + "/api/events", std::vector<std::string>{auth}));
  for (auto& s : streams) {
    if (!s->wait_raw("retry:", std::chrono::seconds(60))) throw std::runtime_error("a stream did not open");
  }
  pg::Connection conn(db, "examq serve bench");
  std::map<std::string, Clock::time_point> sent;
  for (int j = 0; j < jobs; ++j) {
    const auto t0 = Clock::now();
    // A job type no worker runs: the job stays pending, one change each.
    sent[conn.exec("INSERT INTO processing_jobs (job_type) VALUES ('bench-latency') RETURNING id::text").get<std::string>(0, 0)] = t0;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  std::vector<double> ms;
  long missing = 0;
  for (auto& s : streams) {
    s->wait_for([&](const std::vector<testing::SseEvent>& evs) { return evs.size() >= static_cast<std::size_t>(jobs); }, std::chrono::seconds(30));
    std::size_t got = 0;
    for (const auto& e : s->events()) {
      for (const auto& [id, t0] : sent) {
        if (e.data.find(id) != std::string::npos) {
          ms.push_back(std::chrono::duration<double, std::milli>(e.at - t0).count());
          ++got;
          break;
        }
      }
    }
    missing += static_cast<long>(sent.size()) - static_cast<long>(got);
    s->stop();
  }
  std::cout << "clients=" << clients << "\nevents=" << ms.size() << "\nmissing=" << missing << "\nlatency_p50_ms=" << percentile(ms, 0.5)
            << "\nlatency_p99_ms=" << percentile(ms, 0.99) << "\n";
  return missing == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("examq-serve-bench");
  app.require_subcommand(1);
  std::string url, db;
  int clients = 1, jobs = 200, interval_ms = 10;
  double seconds = 5;
  auto* c = app.add_subcommand("create", "create-exam-paper-job requests per second");
  auto* l = app.add_subcommand("latency", "insert -> event latency");
  for (auto* s : {c, l}) {
    s->add_option("--url", url)->required();
    s->add_option("--db", db)->required();
    s->add_option("--clients", clients)->check(CLI::Range(1, 2000));
  }
  c->add_option("--seconds", seconds);
  l->add_option("--jobs", jobs);
  l->add_option("--interval-ms", interval_ms);
  CLI11_PARSE(app, argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    if (c->parsed()) return create(url, db, clients, seconds);
    return latency(url, db, clients, jobs, interval_ms);
  } catch (const std::exception& e) {
    std::cerr << "examq-serve-bench: " << e.what() << "\n";
    return 2;
  }
}
