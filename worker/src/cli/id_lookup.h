#pragma once
// Job and exam paper ids as people type them: a whole uuid, or a unique prefix of at least 4 hex
// digits (`watch` prints 8). Resolved by the database (examq_resolve_job_id and
// examq_resolve_exam_paper_id, sql/0011) through the caller's row-level security.

#include "pg/connection.h"

#include <CLI/CLI.hpp>

#include <string>

namespace examq::cli {

// CLI11 check that an argument could be an id: a uuid or 4 to 32 hex digits, dashes allowed, so
// a typo is a usage error (exit 2) before any database is contacted.
CLI::Validator id_prefix_validator();

// The whole id the argument names. A whole uuid is returned as it is, without a query (so it
// works on any schema version); a prefix is looked up. Throws std::runtime_error "no job X"
// when none matches and, when several do, one listing them (up to 10, with type, status and
// creation time; papers with their titles); pg::Error for anything else.
std::string resolve_job_id(pg::Connection& conn, const std::string& id_or_prefix);
std::string resolve_exam_paper_id(pg::Connection& conn, const std::string& id_or_prefix);

}  // namespace examq::cli
