#pragma once
// Database work done as the request's caller, the way PostgREST does it: one transaction whose
// role is the caller's database role and whose request.jwt.claims are the verified claims, so
// row-level security and the functions' own checks decide what the caller may do, not the
// server. Both settings are transaction-local (set_config(..., true)), so a pooled connection
// never carries one caller's identity into the next request.

#include "http/jwt.h"
#include "http/message.h"
#include "pg/connection.h"
#include "pg/error.h"
#include "pg/pool.h"
#include "pg/transaction.h"

#include <string>

namespace examq::http {

struct RoleConfig {
  std::string admin_role = "examq_admin";    // for callers whose claims say admin
  std::string user_role = "authenticated";   // for everyone else; "" or missing: refused (403)
};

// The HTTP status and client message for a database error; the full error is logged by the
// caller. Class 08 and connection loss: 503.
ApiError api_error_from(const pg::Error& e);

class CallerDb {
 public:
  CallerDb(pg::ConnectionPool& pool, RoleConfig roles, bool user_role_exists);

  // The role a caller runs as. Throws ApiError 403 when there is none for a non-admin.
  const std::string& role_for(const Claims& caller) const;

  // Runs f(conn) inside the caller's transaction and commits. A pg::Error becomes an ApiError
  // (api_error_from); anything f throws rolls the transaction back.
  template <class F>
  auto run(const Claims& caller, F&& f) -> decltype(f(std::declval<pg::Connection&>())) {
    const std::string& role = role_for(caller);
    try {
      auto conn = pool_.acquire();
      pg::Transaction tx(*conn);
      become(*conn, role, caller);
      if constexpr (std::is_void_v<decltype(f(*conn))>) {
        f(*conn);
        tx.commit();
      } else {
        auto out = f(*conn);
        tx.commit();
        return out;
      }
    } catch (const pg::Error& e) {
      throw api_error_from(e);
    }
  }

  pg::ConnectionPool& pool() { return pool_; }

 private:
  static void become(pg::Connection& conn, const std::string& role, const Claims& caller);

  pg::ConnectionPool& pool_;
  const RoleConfig roles_;
  const bool user_role_exists_;
};

}  // namespace examq::http
