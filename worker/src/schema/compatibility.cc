#include "schema/compatibility.h"

#include "pg/error.h"
#include "schema/migrations.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace examq::schema {
namespace {

std::string label(const Migration& m) {
  char digits[8];
  std::snprintf(digits, sizeof digits, "%04d", m.version);
  return std::string(digits) + "_" + m.name;
}

// install.sql where `cmake --install` put it relative to this executable, else the source tree
// the binary was built from, else the name it has in a release.
std::string install_sql_path() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed = self.parent_path() / EXAMQ_SQL_FROM_BIN / "install.sql";
    if (access(installed.c_str(), R_OK) == 0) return installed.lexically_normal().string();
  }
  const std::filesystem::path source = std::filesystem::path(EXAMQ_SOURCE_SQL_DIR) / "install.sql";
  if (access(source.c_str(), R_OK) == 0) return source.string();
  return "sql/install.sql";
}

}  // namespace

int required_version() { return migrations().empty() ? 0 : migrations().back().version; }

std::string migrate_hint() {
  return "run `examq migrate` with the same --db, or `psql -v ON_ERROR_STOP=1 -d YOURDB -f " + install_sql_path() + "`";
}

void require_schema(pg::Connection& conn) {
  if (conn.exec("SELECT to_regclass('examq_migrations') IS NULL").get<bool>(0, 0)) {
    throw SchemaMismatch("the examq schema is not installed in this database: " + migrate_hint());
  }
  std::vector<int> applied;
  try {
    pg::Result r = conn.exec("SELECT version FROM examq_migrations");
    for (int i = 0; i < r.rows(); ++i) applied.push_back(r.get<int>(i, 0));
  } catch (const pg::Error& e) {
    if (e.sqlstate() != pg::kInsufficientPrivilege) throw;
    // Databases installed before examq_migrations was readable by examq_worker and
    // examq_admin: installing again grants it (see sql/migrations_access.sql).
    throw SchemaMismatch("this login may not read examq_migrations, so the schema version cannot be checked: " +
                         migrate_hint() + ", which lets examq_worker and examq_admin read it");
  }
  std::string missing;
  for (const Migration& m : migrations()) {
    if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
    missing += (missing.empty() ? "" : ", ") + label(m);
  }
  if (!missing.empty()) {
    throw SchemaMismatch("the database's examq schema lacks " + missing + ", which this examq needs (schema version " +
                         std::to_string(required_version()) + "): " + migrate_hint());
  }
}

}  // namespace examq::schema
