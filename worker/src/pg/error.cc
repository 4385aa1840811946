#include "pg/error.h"

#include <libpq-fe.h>

namespace examq::pg {
namespace {

std::string field(const PGresult* res, int code) {
  if (res == nullptr) return {};
  const char* v = PQresultErrorField(res, code);
  return v != nullptr ? std::string(v) : std::string();
}

std::string trimmed(const char* s) {
  std::string out = s != nullptr ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

Error::Error(std::string what, std::string sqlstate, std::string primary, std::string detail, std::string hint,
             std::string context, bool connection_lost)
    : std::runtime_error(std::move(what)),
      sqlstate_(std::move(sqlstate)),
      primary_(std::move(primary)),
      detail_(std::move(detail)),
      hint_(std::move(hint)),
      context_(std::move(context)),
      connection_lost_(connection_lost) {}

Error Error::from_result(const PGresult* res, const PGconn* conn, std::string_view doing) {
  std::string sqlstate = field(res, PG_DIAG_SQLSTATE);
  std::string primary = field(res, PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty()) {
    primary = res != nullptr ? trimmed(PQresultErrorMessage(res)) : std::string();
    if (primary.empty() && conn != nullptr) primary = trimmed(PQerrorMessage(conn));
    if (primary.empty()) primary = "unknown error";
  }
  bool lost = conn != nullptr && PQstatus(conn) != CONNECTION_OK;
  std::string what = std::string(doing) + ": " + primary;
  if (!sqlstate.empty()) what += " [" + sqlstate + "]";
  return Error(std::move(what), std::move(sqlstate), std::move(primary), field(res, PG_DIAG_MESSAGE_DETAIL),
               field(res, PG_DIAG_MESSAGE_HINT), field(res, PG_DIAG_CONTEXT), lost);
}

Error Error::from_connection(const PGconn* conn, std::string_view doing) {
  std::string primary = conn != nullptr ? trimmed(PQerrorMessage(conn)) : "out of memory";
  if (primary.empty()) primary = "connection failed";
  return Error(std::string(doing) + ": " + primary, {}, primary, {}, {}, {}, true);
}

bool Error::retryable() const {
  if (connection_lost_) return true;
  if (sqlstate_.size() != 5) return false;
  if (sqlstate_.compare(0, 2, "08") == 0) return true;
  return sqlstate_ == "40001" || sqlstate_ == "40P01" || sqlstate_ == "57P01" || sqlstate_ == "57P02" ||
         sqlstate_ == "57P03";
}

}  // namespace examq::pg
