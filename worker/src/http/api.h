#pragma once
// The HTTP API's routes: the seed's two functions (/functions/v1/...), the app's /api/...
// endpoints and /healthz. Every handler talks to PostgreSQL through CallerDb, as the caller:
// the SQL functions and row-level security decide, the server only translates. docs/http-api.md
// and docs/openapi.yaml describe every route listed here (a test checks that).

#include "http/caller_db.h"
#include "http/message.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace examq::http {

class EventHub;

class Api {
 public:
  enum class Kind { plain, upload, events };
  struct Route {
    beast_http::verb method;
    std::string pattern;  // "/api/jobs/{id}"
    Kind kind;
    bool authenticated;
    std::function<Response(Request&)> handle;
  };
  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    beast_http::status miss = beast_http::status::not_found;  // 404, or 405 when the path exists
  };

  Api(CallerDb& db, EventHub& hub);

  Match match(beast_http::verb method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }
  EventHub& hub() { return hub_; }
  // Where /healthz reads the number of open client connections (the server's count).
  void count_connections_with(std::function<std::size_t()> f) { connections_ = std::move(f); }
  // `examq serve --dev-login` (loopback only): POST /api/dev-login hands out admin tokens
  // signed with this secret.
  void enable_dev_login(std::string jwt_secret) { dev_login_secret_ = std::move(jwt_secret); }
  CallerDb& db() { return db_; }

 private:
  Response healthz(Request& r);
  Response create_exam_paper_job(Request& r);
  Response process_background_jobs(Request& r);
  Response list_jobs(Request& r);
  Response get_job(Request& r);
  Response cancel_job(Request& r);
  Response retry_job(Request& r);
  Response stats(Request& r);
  Response history(Request& r);
  Response paper_questions(Request& r);
  Response paper_page(Request& r);
  Response upload_papers(Request& r);
  Response retag_paper(Request& r);
  // Batches (api_batches.cc).
  Response list_batches(Request& r);
  Response get_batch(Request& r);
  Response page(Request& r);
  Response asset(Request& r);
  Response dev_login_state(Request& r);
  Response dev_login(Request& r);

  CallerDb& db_;
  EventHub& hub_;
  std::vector<Route> routes_;
  std::function<std::size_t()> connections_;
  std::string dev_login_secret_;
};

}  // namespace examq::http
