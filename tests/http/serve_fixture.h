#pragma once
// What the `examq serve` tests share: tokens signed with the test secret, a server on a free
// loopback port over a fresh database, and the non-admin role the server switches to.

#include "http_client.h"
#include "job_watcher.h"
#include "pg/connection.h"
#include "test_database.h"
#include "worker_process.h"

#include <tao/json/value.hpp>

#include <memory>
#include <string>
#include <vector>

namespace examq::testing {

extern const std::string kSecret;

// A token like Supabase's: sub, role authenticated, exp; app_metadata.role admin when admin.
std::string token(bool admin, const std::string& sub = "00000000-0000-0000-0000-0000000000a1", std::int64_t ttl = 3600);
std::string bearer(const std::string& t);
tao::json::value json_of(const HttpResponse& r);

// `examq serve --listen 127.0.0.1:0 --user-role examq_http_test_user` over a fresh database;
// ready once it listens and its event hub LISTENs.
struct Served {
  explicit Served(const std::string& label, std::vector<std::string> extra = {});
  ~Served();
  pg::Connection& conn() { return watcher.conn(); }
  HttpResponse get(const std::string& path, const std::vector<std::string>& headers) { return http_request("GET", base + path, headers); }
  HttpResponse post(const std::string& path, const std::vector<std::string>& headers, const std::string& body = "") {
    return http_request("POST", base + path, headers, body);
  }
  std::string new_paper(const std::string& title = "Paper");

  TestDatabase db;
  JobWatcher watcher;
  std::unique_ptr<WorkerProcess> proc;
  std::string base;
};

// Creates the role examq_http_test_user (cluster-wide, once): a non-admin the server may switch
// to. It has no table privileges, so what it asks for is refused (403).
struct UserRole {
  UserRole();
};

}  // namespace examq::testing
