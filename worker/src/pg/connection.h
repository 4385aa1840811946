#pragma once
// One PostgreSQL session (libpq), owned: PQfinish on destruction. Only parameterised queries:
// SQL text is fixed at compile time and every value travels as a text-format parameter.
// Not thread-safe: one thread uses a Connection at a time.

#include "pg/result.h"
#include "util/duration.h"

#include <tao/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

typedef struct pg_conn PGconn;

namespace examq::pg {

// One parameter in text format; nullopt is SQL NULL.
using Param = std::optional<std::string>;

inline Param to_param(std::string_view v) { return std::string(v); }
inline Param to_param(const std::string& v) { return v; }
inline Param to_param(std::string&& v) { return std::move(v); }
inline Param to_param(const char* v) { return v != nullptr ? Param(v) : std::nullopt; }
inline Param to_param(int v) { return std::to_string(v); }
inline Param to_param(long v) { return std::to_string(v); }
inline Param to_param(long long v) { return std::to_string(v); }
inline Param to_param(bool v) { return std::string(v ? "true" : "false"); }
inline Param to_param(std::nullopt_t) { return std::nullopt; }
// Rendered as "N microseconds": cast the parameter to interval.
inline Param to_param(util::Duration d) { return util::to_pg_interval(d); }
// Rendered as JSON text: cast the parameter to jsonb.
Param to_param(const tao::json::value& v);
template <class T>
Param to_param(const std::optional<T>& v) {
  return v ? to_param(*v) : std::nullopt;
}

// A statement prepared on a connection the first time it is used there, then executed by
// name. Define them as constants: the name must be unique per SQL text.
struct Statement {
  const char* name;
  const char* sql;
};

// How Statements travel, for every Connection of the process. `named` (the default) prepares a
// Statement once per session (PQprepare) and then executes it by name. `unnamed` sends it each
// time as an unnamed statement (PQexecParams), for a transaction-mode pooler (PgBouncer before
// 1.21): there each transaction may run on another server session, one that never saw the
// prepare. The cost is a parse and plan per call. Set once, at start-up (--db-pooler).
enum class StatementMode { named, unnamed };
void set_statement_mode(StatementMode mode);
StatementMode statement_mode();

struct Notification {
  std::string channel;
  std::string payload;
  int backend_pid = 0;
};

class Connection {
 public:
  // Connects (blocking). conninfo is anything libpq accepts: "host=... dbname=...", a
  // postgres:// URI, or "" for the PG* environment defaults. application_name applies unless
  // conninfo names one; connect_timeout defaults to 10 s unless conninfo sets it.
  // Throws pg::Error with connection_lost() when the server cannot be reached.
  explicit Connection(const std::string& conninfo, const std::string& application_name = "examq");
  ~Connection();
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs sql with the given parameters ($1, $2, ... in order). Throws pg::Error on failure.
  template <class... Args>
  Result exec(const char* sql, Args&&... args) {
    return exec_params(sql, {to_param(std::forward<Args>(args))...});
  }
  template <class... Args>
  Result exec(const Statement& statement, Args&&... args) {
    return exec_prepared(statement, {to_param(std::forward<Args>(args))...});
  }
  Result exec_params(const char* sql, const std::vector<Param>& params);
  // Runs a fixed multi-statement script (a schema migration shipped with the binary) with the
  // simple query protocol. Never for text built from input: it takes no parameters. `what`
  // names the script in errors. Returns the last statement's result.
  Result exec_script(const std::string& script, std::string_view what);
  Result exec_prepared(const Statement& statement, const std::vector<Param>& params);

  // An identifier quoted for SQL (PQescapeIdentifier), for the few statements that cannot take
  // parameters (LISTEN, CREATE DATABASE). Never use it for values.
  std::string quote_identifier(std::string_view name);

  // LISTEN channel. The channel is an identifier, not a value, so it cannot be a parameter:
  // it is quoted with PQescapeIdentifier.
  void listen(std::string_view channel);
  // UNLISTEN channel.
  void unlisten(std::string_view channel);
  // Reads whatever the server has sent, without blocking. Throws pg::Error when the
  // connection has broken.
  void consume_input();
  // The next notification already received, if any (call consume_input() first).
  std::optional<Notification> next_notification();

  // For a connection that sat idle (in a pool, between a component's rounds): reads, without
  // blocking, whatever the server sent meanwhile (notifications stay queued) and says whether
  // the session is still there. A server that shut down or restarted has sent its FATAL and
  // closed the socket: that is seen here, before a statement is sent on a dead session (where
  // it would fail, or leave in doubt whether it ran).
  bool alive_after_idle();

  int socket() const;
  // True once libpq has seen the connection fail; the object is then only good to discard.
  bool broken() const;
  int backend_pid() const;

 private:
  struct Finish {
    void operator()(PGconn* c) const;
  };
  Result check(struct pg_result* res, std::string_view doing);

  std::unique_ptr<PGconn, Finish> conn_;
  std::unordered_set<std::string> prepared_;
};

}  // namespace examq::pg
