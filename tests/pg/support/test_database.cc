#include "test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace examq::testing {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

namespace {

// The maintenance database we issue CREATE/DROP DATABASE from.
pg::Connection admin() { return pg::Connection("dbname=" + env_or("PGDATABASE", "postgres"), "examq tests"); }

}  // namespace

TestDatabase::TestDatabase(const std::string& label, bool from_template) {
  static std::atomic<int> counter{0};
  name_ = "examq_t_" + label + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  pg::Connection conn = admin();
  std::string sql = "CREATE DATABASE " + conn.quote_identifier(name_);
  if (from_template) sql += " TEMPLATE " + conn.quote_identifier(env_or("EXAMQ_TEST_TEMPLATE", "examq_template"));
  conn.exec(sql.c_str());
}

TestDatabase::~TestDatabase() {
  try {
    pg::Connection conn = admin();
    std::string sql = "DROP DATABASE IF EXISTS " + conn.quote_identifier(name_) + " WITH (FORCE)";
    conn.exec(sql.c_str());
  } catch (...) {
    // Best effort: a leftover database in a throwaway cluster harms nobody.
  }
}

std::string TestDatabase::conninfo() const { return "dbname=" + name_; }

pg::Connection TestDatabase::connect() const { return pg::Connection(conninfo(), "examq tests"); }

}  // namespace examq::testing
