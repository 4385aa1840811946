#pragma once
// Installing or upgrading the schema from the binary, with the same rules as sql/install.sql:
// each migration not yet recorded in examq_migrations runs in its own transaction together with
// its record, under the same advisory lock, so psql installs and `examq migrate` can be mixed.

#include "pg/connection.h"

#include <vector>

namespace examq::schema {

struct MigrateResult {
  std::vector<int> applied;  // versions applied now, in order
  int version = 0;           // the database's version afterwards
  int newest_known = 0;      // the newest this binary ships; version > newest_known: binary older
};

// Applies what is missing. Throws pg::Error (the failed migration's transaction is rolled back;
// the ones before it stay applied).
MigrateResult migrate(pg::Connection& conn);

// The database's version (0 when examq was never installed there). Throws pg::Error.
int installed_version(pg::Connection& conn);

}  // namespace examq::schema
