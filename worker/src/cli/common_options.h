#pragma once
// Options several subcommands share: where the database is, and how to log.

#include <CLI/CLI.hpp>

#include <string>

namespace examq::cli {

// --db CONNINFO_OR_URI. Where the database is, first found wins: --db, $EXAMQ_DB,
// $DATABASE_URL, the connection `examq up` recorded in $EXAMQ_HOME (default ./.examq), then
// libpq's own PG* variables (PGHOST, PGPORT, PGDATABASE, ...).
void add_database_option(CLI::App& app, std::string& db);
std::string resolve_database(const std::string& db_flag);
// The check --db makes: a postgres:// or postgresql:// URI, or key=value pairs (a bare word would
// be taken by libpq as a database name).
CLI::Validator conninfo_validator();

struct LoggingOptions {
  std::string level = "info";
  std::string format = "text";
};
// --log-level (EXAMQ_LOG_LEVEL) and --log-format (EXAMQ_LOG_FORMAT).
void add_logging_options(CLI::App& app, LoggingOptions& options);
// Configures spdlog; throws std::invalid_argument for an unknown level or format.
void apply_logging_options(const LoggingOptions& options);

// A CLI11 validator for durations with a unit ("500ms", "5s", "2m").
CLI::Validator duration_validator();

}  // namespace examq::cli
