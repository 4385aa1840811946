#pragma once
// A throwaway database for one test, created from $EXAMQ_TEST_TEMPLATE (a database with
// sql/install.sql applied) on the cluster the PG* variables point at, dropped at the end.
// Shared by every suite that needs PostgreSQL (library examq_test_support).

#include "pg/connection.h"

#include <string>

namespace examq::testing {

// The value of an environment variable, or fallback when it is unset or empty.
std::string env_or(const char* name, const std::string& fallback);

class TestDatabase {
 public:
  // Creates "examq_t_<label>_<pid>_<n>" from the template (or empty, when from_template is
  // false). Throws pg::Error with the server's message when that fails.
  explicit TestDatabase(const std::string& label, bool from_template = true);
  ~TestDatabase();  // drops it WITH (FORCE), disconnecting stragglers
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  // A conninfo for this database ("dbname=..."; host, port, user come from PG*).
  std::string conninfo() const;
  pg::Connection connect() const;

 private:
  std::string name_;
};

}  // namespace examq::testing
