#include "cli/id_lookup.h"

#include "pg/error.h"
#include "util/uuid.h"

#include <regex>
#include <stdexcept>

namespace examq::cli {

namespace {

const pg::Statement kResolveJob{"examq_cli_resolve_job_id", "SELECT examq_resolve_job_id($1)::text"};
const pg::Statement kResolvePaper{"examq_cli_resolve_exam_paper_id", "SELECT examq_resolve_exam_paper_id($1)::text"};

using util::is_uuid;

std::string resolve(pg::Connection& conn, const pg::Statement& statement, const std::string& id) {
  if (is_uuid(id)) return id;
  try {
    return conn.exec(statement, id).get<std::string>(0, 0);
  } catch (const pg::Error& e) {
    // None (P0002) or several (21000, the candidates in the message): the server's sentence is
    // the whole answer, without its SQLSTATE.
    if (e.not_found()) throw std::runtime_error(e.primary());
    if (e.sqlstate() == "21000") throw std::runtime_error(e.primary() + " (" + e.hint() + ")");
    throw;
  }
}

}  // namespace

CLI::Validator id_prefix_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        static const std::regex id("^[0-9a-fA-F-]+$");
        std::size_t digits = 0;
        for (char c : value) digits += c != '-';
        if (!std::regex_match(value, id) || digits > 32) return "not a uuid or a prefix of one: " + value;
        if (digits < 4) return "an id prefix needs at least 4 hex digits: " + value;
        return {};
      },
      "ID", "id or unique prefix");
}

std::string resolve_job_id(pg::Connection& conn, const std::string& id_or_prefix) {
  return resolve(conn, kResolveJob, id_or_prefix);
}

std::string resolve_exam_paper_id(pg::Connection& conn, const std::string& id_or_prefix) {
  return resolve(conn, kResolvePaper, id_or_prefix);
}

}  // namespace examq::cli
