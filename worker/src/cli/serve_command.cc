#include "cli/serve_command.h"

#include "cli/common_options.h"
#include "cli/listen_address.h"
#include "http/api.h"
#include "http/caller_db.h"
#include "http/event_hub.h"
#include "http/jwt.h"
#include "http/server.h"
#include "pg/array.h"
#include "pg/connection.h"
#include "pg/error.h"
#include "pg/pool.h"
#include "schema/compatibility.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/shutdown_signals.h"

#include <poll.h>

#include <cstdlib>
#include <iostream>
#include <memory>

namespace examq::cli {
namespace {

struct ServeOptions {
  std::string db;
  std::string listen_db;           // the event hub's LISTEN session; "" = --db
  std::string db_pooler = "none";  // none | transaction
  std::string listen = "127.0.0.1:8080";
  std::string admin_role = "examq_admin";
  std::string user_role = "authenticated";
  int io_threads = 2;
  int db_connections = 8;
  int max_connections = 1000;
  int max_body_kb = 1024;
  int max_upload_mb = 64;
  std::string request_timeout = "30s";
  std::string idle_timeout = "60s";
  bool dev_login = false;
  LoggingOptions logging;
};

const pg::Statement kRoles{"examq_serve_roles",
                           "SELECT r.rolname::text, pg_has_role(current_user, r.oid, 'MEMBER')"
                           " FROM pg_roles r WHERE r.rolname = ANY ($1::text[])"};

}  // namespace

Command add_serve_command(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* sub = app.add_subcommand("serve", "Serve the HTTP API: the seed's functions, jobs, papers and live events");
  add_database_option(*sub, o->db);
  sub->add_option("--listen-db", o->listen_db,
                  "Where the live events LISTEN, when --db leads to a transaction-mode pooler (LISTEN needs a "
                  "direct session). Default: the same as --db")
      ->envname("EXAMQ_LISTEN_DB")->type_name("CONNINFO")->check(conninfo_validator());
  sub->add_option("--db-pooler", o->db_pooler,
                  "What --db leads to: none (PostgreSQL itself, or a session-mode pooler) or transaction (a "
                  "transaction-mode pooler such as PgBouncer: statements are sent unnamed, not prepared)")
      ->envname("EXAMQ_DB_POOLER")->capture_default_str()->check(CLI::IsMember({"none", "transaction"}));
  sub->add_option("--listen", o->listen, "Address to listen on")->envname("EXAMQ_LISTEN")->capture_default_str();
  sub->add_option("--admin-role", o->admin_role, "Database role for callers whose token says admin")
      ->envname("EXAMQ_ADMIN_ROLE")->capture_default_str();
  sub->add_option("--user-role", o->user_role, "Database role for every other caller (refused when it does not exist)")
      ->envname("EXAMQ_USER_ROLE")->capture_default_str();
  sub->add_option("--io-threads", o->io_threads, "Threads serving sockets")->envname("EXAMQ_IO_THREADS")
      ->capture_default_str()->check(CLI::Range(1, 64));
  sub->add_option("--db-connections", o->db_connections, "Database connections (and threads) for requests")
      ->envname("EXAMQ_DB_CONNECTIONS")->capture_default_str()->check(CLI::Range(1, 256));
  sub->add_option("--max-connections", o->max_connections, "Open client connections at most; more get 503")
      ->envname("EXAMQ_MAX_CONNECTIONS")->capture_default_str()->check(CLI::Range(1, 100000));
  sub->add_option("--max-body-kb", o->max_body_kb, "Largest JSON request body, in KiB")
      ->envname("EXAMQ_MAX_BODY_KB")->capture_default_str()->check(CLI::Range(1, 1024 * 1024));
  sub->add_option("--max-upload-mb", o->max_upload_mb, "Largest upload (create-exam-paper-job with images), in MiB")
      ->envname("EXAMQ_MAX_UPLOAD_MB")->capture_default_str()->check(CLI::Range(1, 4096));
  sub->add_option("--request-timeout", o->request_timeout, "Time a client has to send one whole request")
      ->envname("EXAMQ_REQUEST_TIMEOUT")->capture_default_str()->check(duration_validator());
  sub->add_option("--idle-timeout", o->idle_timeout, "Time an idle keep-alive connection is kept")
      ->envname("EXAMQ_IDLE_TIMEOUT")->capture_default_str()->check(duration_validator());
  sub->add_flag("--dev-login", o->dev_login,
                "Offer a local admin session on the web page (POST /api/dev-login); refused unless --listen is loopback")
      ->envname("EXAMQ_DEV_LOGIN");
  add_logging_options(*sub, o->logging);
  sub->footer(
      "Tokens: Authorization: Bearer <JWT>, HS256, verified with $EXAMQ_JWT_SECRET (a Supabase project's JWT\n"
      "secret works as is; mint one for local use with `examq token`). The secret is read only from the\n"
      "environment, never from a flag. The server's database login must be a member of --admin-role (and\n"
      "of --user-role when that exists): each request runs as one of them with its claims in\n"
      "request.jwt.claims, so row-level security decides. See docs/http-api.md.");
  return {sub, [o]() -> int {
            http::ServerConfig config;
            std::string conninfo;
            try {
              apply_logging_options(o->logging);
              const ListenAddress listen = parse_listen_address(o->listen, "--listen");
              config.host = listen.host;
              config.port = listen.port;
              const char* secret = std::getenv("EXAMQ_JWT_SECRET");
              if (secret == nullptr || *secret == '\0') {
                throw std::invalid_argument("EXAMQ_JWT_SECRET is not set: every endpoint but /healthz needs it to verify tokens");
              }
              http::check_jwt_secret(secret);
              if (o->dev_login && !is_loopback(config.host)) {
                throw std::invalid_argument("--dev-login hands out admin sessions to anyone who can reach the server: "
                                            "it needs a loopback --listen address (127.0.0.1 or [::1]), not " + config.host);
              }
              config.jwt_secret = secret;
              config.io_threads = o->io_threads;
              config.db_threads = o->db_connections;
              config.limits.max_connections = static_cast<std::size_t>(o->max_connections);
              config.limits.max_body_bytes = static_cast<std::uint64_t>(o->max_body_kb) * 1024;
              config.limits.max_upload_bytes = static_cast<std::uint64_t>(o->max_upload_mb) * 1024 * 1024;
              config.limits.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(util::parse_duration(o->request_timeout));
              config.limits.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(util::parse_duration(o->idle_timeout));
              conninfo = resolve_database(o->db);
              if (o->db_pooler == "transaction") pg::set_statement_mode(pg::StatementMode::unnamed);
            } catch (const std::invalid_argument& e) {
              std::cerr << "examq serve: " << e.what() << "\n";
              return kExitUsage;
            }

            bool user_role_exists = false;
            try {
              pg::Connection conn(conninfo, "examq serve");
              try {
                schema::require_schema(conn);
              } catch (const schema::SchemaMismatch& e) {
                std::cerr << "examq serve: " << e.what() << "\n";
                return kExitFailure;
              }
              pg::Result r = conn.exec(kRoles, pg::array_literal(std::vector<std::string>{o->admin_role, o->user_role}));
              bool admin_ok = false;
              for (int i = 0; i < r.rows(); ++i) {
                const std::string name = r.get<std::string>(i, 0);
                const bool member = r.get<bool>(i, 1);
                if (name == o->admin_role) admin_ok = member;
                if (name == o->user_role) {
                  user_role_exists = true;
                  if (!member) {
                    std::cerr << "examq serve: this login is not a member of --user-role " << o->user_role
                              << " (GRANT " << o->user_role << " TO <login>)\n";
                    return kExitFailure;
                  }
                }
              }
              if (!admin_ok) {
                std::cerr << "examq serve: --admin-role " << o->admin_role
                          << " does not exist or this login is not a member of it (GRANT " << o->admin_role << " TO <login>)\n";
                return kExitFailure;
              }
            } catch (const pg::Error& e) {
              std::cerr << "examq serve: " << e.what() << "\n";
              return kExitFailure;
            }
            if (!user_role_exists) {
              util::log_event(spdlog::level::info, "serve.admins_only",
                              {{"reason", "role " + o->user_role + " does not exist: tokens without admin claims get 403"}});
            }

            util::ShutdownSignals& signals = util::ShutdownSignals::install();
            pg::ConnectionPool pool(conninfo, "examq serve", static_cast<std::size_t>(o->db_connections));
            http::CallerDb db(pool, http::RoleConfig{o->admin_role, o->user_role}, user_role_exists);
            http::EventHub hub(o->listen_db.empty() ? conninfo : o->listen_db, o->admin_role, db);
            http::Api api(db, hub);
            http::Server server(config, api, hub);
            api.count_connections_with([&server] { return server.connections(); });
            if (o->dev_login) api.enable_dev_login(config.jwt_secret);
            try {
              server.start();
            } catch (const std::system_error& e) {
              std::cerr << "examq serve: " << e.what() << "\n";
              return kExitFailure;
            }
            hub.start();
            const std::string address = (config.host.find(':') != std::string::npos ? "[" + config.host + "]" : config.host) + ":" +
                                        std::to_string(server.port());
            util::log_event(spdlog::level::info, "serve.started", {{"listen", address}, {"db_connections", o->db_connections}});
            // Tests and scripts read the bound port from here (--listen 127.0.0.1:0).
            std::cout << "listening on http://" << address << std::endl;

            pollfd p{signals.fd(), POLLIN, 0};
            while (!signals.requested()) ::poll(&p, 1, 1000);
            util::log_event(spdlog::level::info, "serve.stopping", {{"connections", server.connections()}});
            server.stop();
            hub.stop();
            util::log_event(spdlog::level::info, "serve.stopped");
            return kExitOk;
          }};
}

}  // namespace examq::cli
