#pragma once
// The schema migrations shipped in the binary: sql/NNNN_name.sql, in version order.

#include <string>
#include <vector>

namespace examq::schema {

struct Migration {
  int version;       // NNNN
  const char* name;  // the file name's "what" part
  const char* sql;   // the file's text: plain SQL, no psql meta-commands
};

const std::vector<Migration>& migrations();

// CREATE TABLE IF NOT EXISTS examq_migrations ... (sql/migrations_table.sql).
const std::string& migrations_table_sql();
// GRANT SELECT ON examq_migrations ... (sql/migrations_access.sql), run after the migrations.
const std::string& migrations_access_sql();

}  // namespace examq::schema
