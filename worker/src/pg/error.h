#pragma once
// The one exception type of the pg layer: what failed, with the server's SQLSTATE and fields.

#include <stdexcept>
#include <string>
#include <string_view>

typedef struct pg_result PGresult;
typedef struct pg_conn PGconn;

namespace examq::pg {

// SQLSTATEs the queue functions raise on purpose (see sql/0001_queue_core.sql).
inline constexpr std::string_view kNotFound = "P0002";            // no such job
inline constexpr std::string_view kObjectNotInState = "55000";    // job not held by the caller
inline constexpr std::string_view kInvalidParameter = "22023";
inline constexpr std::string_view kInsufficientPrivilege = "42501";

class Error : public std::runtime_error {
 public:
  // `what` is "<context>: <server message>" so a log line alone says what was being done.
  Error(std::string what, std::string sqlstate, std::string primary, std::string detail,
        std::string hint, std::string context, bool connection_lost);

  // From a failed result (res may be null when libpq could not even build one) on conn.
  // `doing` says what was attempted, e.g. "get_next_processing_jobs".
  static Error from_result(const PGresult* res, const PGconn* conn, std::string_view doing);
  // From a connection that could not be made or has broken.
  static Error from_connection(const PGconn* conn, std::string_view doing);

  const std::string& sqlstate() const { return sqlstate_; }  // empty when none was sent
  const std::string& primary() const { return primary_; }    // server message without prefix
  const std::string& detail() const { return detail_; }
  const std::string& hint() const { return hint_; }
  const std::string& context() const { return context_; }

  // The session is gone (network, server restart, admin shutdown): reconnect and retry.
  bool connection_lost() const { return connection_lost_; }
  // Worth retrying the same work after a pause or a reconnect: a lost connection, SQLSTATE
  // class 08, a serialization failure (40001), a deadlock (40P01), or the server shutting
  // down or starting up (57P01, 57P02, 57P03).
  bool retryable() const;
  // The job exists but this worker no longer holds it (55000).
  bool job_not_held() const { return sqlstate_ == kObjectNotInState; }
  // No such job (P0002).
  bool not_found() const { return sqlstate_ == kNotFound; }

 private:
  std::string sqlstate_, primary_, detail_, hint_, context_;
  bool connection_lost_;
};

}  // namespace examq::pg
