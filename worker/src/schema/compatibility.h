#pragma once
// Which schema this binary needs, and whether a database has it. `examq worker` and `examq
// serve` refuse a database that lacks any migration compiled into them: their SQL calls would
// fail one by one, at run time, with errors that do not say why.

#include "pg/connection.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace examq::schema {

// The newest migration compiled in (generated from the sql/NNNN_*.sql file names, as
// migrations() is): the schema version this binary needs.
int required_version();

// The database is not fit for this binary; what() says why and how to migrate it.
struct SchemaMismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws SchemaMismatch when examq is not installed, when examq_migrations lacks a migration
// this binary has, or when this login may not read examq_migrations. A database ahead of the
// binary is fine (migrations only add). Throws pg::Error when the database cannot be asked.
void require_schema(pg::Connection& conn);

// How to migrate, for messages: `examq migrate` and the psql alternative with the install.sql
// this binary was installed with (or built from).
std::string migrate_hint();

}  // namespace examq::schema
