#include "cli/common_options.h"

#include "cli/local_cluster.h"

#include "util/duration.h"
#include "util/log.h"

#include <cstdlib>
#include <iostream>
#include <optional>

namespace examq::cli {

void add_database_option(CLI::App& app, std::string& db) {
  app.add_option("--db", db,
                 "PostgreSQL connection: a libpq conninfo (\"host=... dbname=...\") or URI "
                 "(postgres://user@host/db). Default: $EXAMQ_DB, then $DATABASE_URL, then the cluster `examq up` "
                 "recorded in $EXAMQ_HOME (./.examq), then the PG* variables")
      ->type_name("CONNINFO")
      ->check(conninfo_validator());
}

CLI::Validator conninfo_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        // libpq takes a string that is neither a URI nor key=value pairs as a database name, so
        // "--db localhost" would quietly connect to the database "localhost" on the default host.
        if (value.empty() || value.rfind("postgres://", 0) == 0 || value.rfind("postgresql://", 0) == 0 ||
            value.find('=') != std::string::npos)
          return {};
        return "\"" + value + "\" is neither a postgres:// (or postgresql://) URI nor a key=value conninfo; for a "
               "database name, write dbname=" + value;
      },
      "CONNINFO", "conninfo");
}

std::string resolve_database(const std::string& db_flag) {
  if (!db_flag.empty()) return db_flag;
  for (const char* var : {"EXAMQ_DB", "DATABASE_URL"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  // The private cluster `examq up` made (in $EXAMQ_HOME, default ./.examq), when there is one.
  const std::string home = examq_home();
  if (std::optional<std::string> recorded = recorded_connection(home)) return *recorded;
  // Named on purpose but empty (a relative EXAMQ_HOME from an unrelated directory, a typo):
  // say so, rather than connecting somewhere else in silence.
  if (const char* v = std::getenv("EXAMQ_HOME"); v != nullptr && *v != '\0') {
    std::cerr << "examq: note: no cluster recorded in " << home << " (EXAMQ_HOME=" << v
              << "); using libpq's PG* settings. Run `examq up` there, or set EXAMQ_HOME to the absolute path "
                 "`examq up` printed.\n";
  }
  return "";  // libpq reads PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, ...
}

void add_logging_options(CLI::App& app, LoggingOptions& options) {
  app.add_option("--log-level", options.level, "trace, debug, info, warn, error, critical or off")
      ->envname("EXAMQ_LOG_LEVEL")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "warning", "error", "critical", "off"}));
  app.add_option("--log-format", options.format, "text (for people) or json (one object per line)")
      ->envname("EXAMQ_LOG_FORMAT")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
}

void apply_logging_options(const LoggingOptions& options) {
  util::init_logging(util::parse_log_level(options.level), util::parse_log_format(options.format));
}

CLI::Validator duration_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        try {
          util::parse_duration(value);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "DURATION", "duration");
}

}  // namespace examq::cli
