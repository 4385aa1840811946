#include "cli/stats_command.h"

#include "cli/common_options.h"
#include "cli/output.h"
#include "pg/connection.h"

#include <tao/json/value.hpp>

#include <iostream>
#include <memory>

namespace examq::cli {

namespace {

struct StatsOptions {
  std::string db;
  bool json = false;
};

// The view as JSON rows: last_day before last_week, the all-types row (job_type null) first.
const pg::Statement kStats{"examq_cli_stats",
                           "SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.period, s.job_type NULLS FIRST), '[]') "
                           "FROM processing_job_stats s"};

std::string seconds(const tao::json::value& row, const std::string& key) {
  const auto* v = row.find(key);
  if (v == nullptr || v->is_null()) return "-";
  return format_age(v->as<double>());
}

std::string percent(const tao::json::value& row, const std::string& key) {
  const auto* v = row.find(key);
  if (v == nullptr || v->is_null()) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", v->as<double>() * 100);
  return buf;
}

}  // namespace

Command add_stats_command(CLI::App& app) {
  auto o = std::make_shared<StatsOptions>();
  CLI::App* sub = app.add_subcommand("stats", "Job statistics over the last day and week (the processing_job_stats view)");
  sub->add_flag("--json", o->json, "Print the view's rows as a JSON array");
  add_database_option(*sub, o->db);
  sub->footer("Run times are of completed jobs (completed_at - started_at); failure rate = failed / (completed + failed).");
  return {sub, [o]() {
            return run_reporting("stats", o->json, [&]() {
              pg::Connection conn(resolve_database(o->db), "examq stats");
              tao::json::value rows = conn.exec(kStats).get<tao::json::value>(0, 0);
              if (o->json) {
                print_json(std::cout, rows);
                return kExitOk;
              }
              if (rows.get_array().empty()) {
                std::cout << "no jobs in the last week\n";
                return kExitOk;
              }
              Table table({"PERIOD", "TYPE", "TOTAL", "PENDING", "RUNNING", "DONE", "FAILED", "CANCELLED", "MEDIAN",
                           "P95", "FAIL%", "RETRIES"});
              for (const auto& r : rows.get_array()) {
                std::string type = cell(r, "job_type");
                table.add({cell(r, "period"), type == "-" ? "(all)" : type, cell(r, "total"), cell(r, "pending"),
                           cell(r, "processing"), cell(r, "completed"), cell(r, "failed"), cell(r, "cancelled"),
                           seconds(r, "median_seconds"), seconds(r, "p95_seconds"), percent(r, "failure_rate"),
                           cell(r, "retries")});
              }
              table.print(std::cout);
              return kExitOk;
            });
          }};
}

}  // namespace examq::cli
