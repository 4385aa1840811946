#include "http/caller_db.h"

#include "util/log.h"

#include <tao/json/to_string.hpp>

namespace examq::http {
namespace {

const pg::Statement kBecome{"examq_http_become",
                            "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)"};

}  // namespace

ApiError api_error_from(const pg::Error& e) {
  using s = beast_http::status;
  const std::string& code = e.sqlstate();
  if (e.connection_lost() || code.rfind("08", 0) == 0 || code == "57P01" || code == "57P03") {
    return ApiError(s::service_unavailable, "the database is unavailable; try again");
  }
  if (code == "42501") return ApiError(s::forbidden, e.primary().empty() ? "permission denied" : e.primary());
  if (code == "P0002") return ApiError(s::not_found, e.primary());
  if (code == "55000") return ApiError(s::conflict, e.primary());
  if (code == "54000") return ApiError(s::payload_too_large, e.primary());
  if (code == "22023" || code == "22004" || code == "22P02" || code == "22001" || code == "22003" || code == "22007" || code == "22008") {
    return ApiError(s::bad_request, e.primary());
  }
  if (code.rfind("23", 0) == 0) return ApiError(s::unprocessable_entity, e.primary());
  util::log_event(spdlog::level::err, "http.database_error", {{"sqlstate", code}, {"error", e.what()}});
  return ApiError(s::internal_server_error, "database error (" + code + ")");
}

CallerDb::CallerDb(pg::ConnectionPool& pool, RoleConfig roles, bool user_role_exists)
    : pool_(pool), roles_(std::move(roles)), user_role_exists_(user_role_exists) {}

const std::string& CallerDb::role_for(const Claims& caller) const {
  if (caller.admin) return roles_.admin_role;
  if (roles_.user_role.empty() || !user_role_exists_) {
    throw ApiError(beast_http::status::forbidden, "only admins may use this server");
  }
  return roles_.user_role;
}

void CallerDb::become(pg::Connection& conn, const std::string& role, const Claims& caller) {
  conn.exec(kBecome, role, tao::json::to_string(caller.json));
}

}  // namespace examq::http
