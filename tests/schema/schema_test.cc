#define BOOST_TEST_MODULE schema
// `examq migrate` (the migrations compiled into the binary) and `psql -f sql/install.sql` (the
// template database ci/test installs) must produce the same recorded versions and the same schema.
#include "pg/error.h"
#include "schema/migrations.h"
#include "schema/migrator.h"
#include "test_database.h"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace examq;
using namespace examq::testing;

namespace {

// Tables, columns, constraints, indexes, functions, policies and triggers of schema public, as
// one text that differs when any of them differs.
std::string fingerprint(pg::Connection& c) {
  return std::string(c.exec(R"sql(
    SELECT string_agg(item, E'\n' ORDER BY item) FROM (
      SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
             || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS item
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
         AND c.relkind IN ('r', 'v')
      UNION ALL
      SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relnamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'function ' || p.oid::regprocedure || ' ' || md5(p.prosrc) || ' ' || coalesce(array_to_string(p.proconfig, ','), '')
             || ' ' || coalesce(obj_description(p.oid, 'pg_proc'), '')
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'policy ' || tablename || ' ' || policyname || ' ' || array_to_string(roles, ',') || ' ' || cmd
             || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
        FROM pg_policies WHERE schemaname = 'public'
      UNION ALL
      SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(t.oid) FROM pg_trigger t
       WHERE NOT tgisinternal
      UNION ALL
      SELECT 'grant ' || c.relname || ' ' || coalesce(array_to_string(c.relacl, ','), '')
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v')
    ) AS items)sql").text(0, 0));
}

}  // namespace

BOOST_AUTO_TEST_CASE(binary_migrations_match_install_sql) {
  TestDatabase fresh("schema_fresh", /*from_template=*/false);
  pg::Connection conn = fresh.connect();
  BOOST_TEST(schema::installed_version(conn) == 0);

  auto first = schema::migrate(conn);
  BOOST_TEST(first.applied.size() == schema::migrations().size());
  BOOST_TEST(first.version == schema::migrations().back().version);
  BOOST_TEST(first.newest_known == first.version);

  auto again = schema::migrate(conn);
  BOOST_TEST(again.applied.empty(), "a second migrate applied something");

  TestDatabase installed("schema_psql");  // from the template: psql -f sql/install.sql
  pg::Connection tconn = installed.connect();
  const char* versions = "SELECT string_agg(version || ' ' || name, ',' ORDER BY version) FROM examq_migrations";
  BOOST_TEST(std::string(conn.exec(versions).text(0, 0)) == std::string(tconn.exec(versions).text(0, 0)),
             "install.sql and the binary record different migrations: add the new file's block to sql/install.sql");
  BOOST_TEST(fingerprint(conn) == fingerprint(tconn));
}

BOOST_AUTO_TEST_CASE(a_failing_migration_rolls_back_and_reports_which) {
  TestDatabase fresh("schema_conflict", /*from_template=*/false);
  pg::Connection conn = fresh.connect();
  // A table in the way of migration 1 (processing_jobs is created without IF NOT EXISTS).
  conn.exec("CREATE TABLE processing_jobs (x int)");
  try {
    schema::migrate(conn);
    BOOST_FAIL("migrate succeeded over a conflicting table");
  } catch (const pg::Error& e) {
    BOOST_TEST(std::string(e.what()).find("migration 1 (queue_core)") != std::string::npos, e.what());
    BOOST_TEST(e.sqlstate() == "42P07");
  }
  BOOST_TEST(schema::installed_version(conn) == 0);
  BOOST_TEST(conn.exec("SELECT to_regclass('exam_paper_files') IS NULL").get<bool>(0, 0), "half a migration was kept");
}
