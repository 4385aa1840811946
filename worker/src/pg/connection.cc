#include "pg/connection.h"

#include "pg/error.h"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <tao/json/to_string.hpp>

#include <atomic>

namespace examq::pg {
namespace {

// Server NOTICEs would otherwise go straight to stderr, bypassing the log format.
void on_notice(void*, const PGresult* res) {
  const char* msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  spdlog::debug("postgres notice: {}", msg != nullptr ? msg : "");
}

std::string_view describe(const char* sql) {
  std::string_view s(sql);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n')) s.remove_prefix(1);
  return s.substr(0, 80);
}

std::atomic<StatementMode> g_statement_mode{StatementMode::named};

}  // namespace

void set_statement_mode(StatementMode mode) { g_statement_mode.store(mode); }
StatementMode statement_mode() { return g_statement_mode.load(); }

Param to_param(const tao::json::value& v) { return tao::json::to_string(v); }

void Connection::Finish::operator()(PGconn* c) const { PQfinish(c); }

Connection::Connection(const std::string& conninfo, const std::string& application_name) {
  // Order matters: later keywords override earlier ones, and "dbname" expands conninfo, so
  // conninfo can override connect_timeout and application_name set before it.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", application_name.c_str(), conninfo.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    throw Error::from_connection(conn_.get(), "connecting to PostgreSQL");
  }
  PQsetNoticeReceiver(conn_.get(), on_notice, nullptr);
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

Result Connection::check(PGresult* raw, std::string_view doing) {
  Result res(raw);
  ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return res;
  throw Error::from_result(raw, conn_.get(), doing);
}

namespace {

struct RawParams {
  std::vector<const char*> values;
  explicit RawParams(const std::vector<Param>& params) {
    values.reserve(params.size());
    for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  }
};

}  // namespace

Result Connection::exec_params(const char* sql, const std::vector<Param>& params) {
  RawParams raw(params);
  return check(PQexecParams(conn_.get(), sql, static_cast<int>(params.size()), nullptr, raw.values.data(), nullptr,
                            nullptr, 0),
               describe(sql));
}

Result Connection::exec_script(const std::string& script, std::string_view what) {
  return check(PQexec(conn_.get(), script.c_str()), what);
}

Result Connection::exec_prepared(const Statement& statement, const std::vector<Param>& params) {
  if (statement_mode() == StatementMode::unnamed) {
    RawParams raw(params);
    return check(PQexecParams(conn_.get(), statement.sql, static_cast<int>(params.size()), nullptr, raw.values.data(),
                              nullptr, nullptr, 0),
                 statement.name);
  }
  if (prepared_.find(statement.name) == prepared_.end()) {
    check(PQprepare(conn_.get(), statement.name, statement.sql, 0, nullptr), describe(statement.sql));
    prepared_.insert(statement.name);
  }
  RawParams raw(params);
  return check(PQexecPrepared(conn_.get(), statement.name, static_cast<int>(params.size()), raw.values.data(),
                              nullptr, nullptr, 0),
               statement.name);
}

std::string Connection::quote_identifier(std::string_view name) {
  char* quoted = PQescapeIdentifier(conn_.get(), name.data(), name.size());
  if (quoted == nullptr) throw Error::from_connection(conn_.get(), "quoting an identifier");
  std::unique_ptr<char, void (*)(void*)> owner(quoted, PQfreemem);
  return std::string(quoted);
}

void Connection::listen(std::string_view channel) {
  std::string sql = "LISTEN " + quote_identifier(channel);
  check(PQexec(conn_.get(), sql.c_str()), "LISTEN");
}

void Connection::unlisten(std::string_view channel) {
  std::string sql = "UNLISTEN " + quote_identifier(channel);
  check(PQexec(conn_.get(), sql.c_str()), "UNLISTEN");
}

void Connection::consume_input() {
  if (PQconsumeInput(conn_.get()) == 0 || PQstatus(conn_.get()) != CONNECTION_OK) {
    throw Error::from_connection(conn_.get(), "reading from PostgreSQL");
  }
}

std::optional<Notification> Connection::next_notification() {
  PGnotify* n = PQnotifies(conn_.get());
  if (n == nullptr) return std::nullopt;
  std::unique_ptr<PGnotify, void (*)(void*)> owner(n, PQfreemem);
  return Notification{n->relname, n->extra != nullptr ? n->extra : "", n->be_pid};
}

bool Connection::alive_after_idle() {
  // Each read takes what is there; the closing (end of file) may come on the next one.
  for (int reads = 0; reads < 4 && !broken(); ++reads) {
    pollfd p{PQsocket(conn_.get()), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;  // nothing waiting: as alive as can be told
    // Notifications read here stay queued for next_notification().
    if (PQconsumeInput(conn_.get()) == 0) return false;
  }
  return !broken();
}

int Connection::socket() const { return PQsocket(conn_.get()); }

bool Connection::broken() const { return !conn_ || PQstatus(conn_.get()) != CONNECTION_OK; }

int Connection::backend_pid() const { return PQbackendPID(conn_.get()); }

}  // namespace examq::pg
