#include "schema/migrator.h"

#include "pg/error.h"
#include "schema/migrations.h"

#include <string>

namespace examq::schema {
namespace {

// Releases the install lock however migrate() leaves.
class InstallLock {
 public:
  explicit InstallLock(pg::Connection& conn) : conn_(conn) {
    conn_.exec("SELECT pg_advisory_lock(hashtext('examq.install'))");
  }
  ~InstallLock() {
    try {
      if (!conn_.broken()) conn_.exec("SELECT pg_advisory_unlock(hashtext('examq.install'))");
    } catch (...) {  // the session is going away; so is its lock
    }
  }
  InstallLock(const InstallLock&) = delete;
  InstallLock& operator=(const InstallLock&) = delete;

 private:
  pg::Connection& conn_;
};

}  // namespace

int installed_version(pg::Connection& conn) {
  auto r = conn.exec("SELECT CASE WHEN to_regclass('examq_migrations') IS NULL THEN 0 END");
  if (!r.is_null(0, 0)) return 0;
  return conn.exec("SELECT coalesce(max(version), 0)::int FROM examq_migrations").get<int>(0, 0);
}

MigrateResult migrate(pg::Connection& conn) {
  MigrateResult result;
  InstallLock lock(conn);
  conn.exec_script("SET client_min_messages = warning; " + migrations_table_sql(), "creating examq_migrations");
  for (const Migration& m : migrations()) {
    result.newest_known = m.version;
    bool done = conn.exec("SELECT EXISTS (SELECT 1 FROM examq_migrations WHERE version = $1::int)", m.version)
                    .get<bool>(0, 0);
    if (done) continue;
    const std::string what = "migration " + std::to_string(m.version) + " (" + m.name + ")";
    conn.exec("BEGIN");
    try {
      conn.exec_script(m.sql, what);
      conn.exec("INSERT INTO examq_migrations (version, name) VALUES ($1::int, $2)", m.version, m.name);
      conn.exec("COMMIT");
    } catch (...) {
      try {
        if (!conn.broken()) conn.exec("ROLLBACK");
      } catch (...) {
      }
      throw;
    }
    result.applied.push_back(m.version);
  }
  conn.exec_script(migrations_access_sql(), "granting read access to examq_migrations");
  result.version = installed_version(conn);
  return result;
}

}  // namespace examq::schema
