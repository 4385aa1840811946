#include "cli/worker_command.h"
#include "cli/local_cluster.h"
#include "cli/output.h"
#include "cli/worker_metrics.h"
#include "notify/notify_handler.h"
#include "pipeline/process_exam_paper.h"
#include "retag/retag_handler.h"

#include "handlers/registry.h"
#include "pg/connection.h"
#include "queue/worker.h"
#include "util/log.h"
#include "util/shutdown_signals.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <system_error>

namespace examq::cli {

void bind_worker_options(CLI::App& sub, WorkerOptions& o, bool with_database) {
  if (with_database) {
    add_database_option(sub, o.db);
    sub.add_option("--listen-db", o.listen_db,
                   "Where the dispatcher LISTENs for new jobs, when --db leads to a transaction-mode pooler "
                   "(LISTEN needs a direct session). Default: the same as --db")
        ->envname("EXAMQ_LISTEN_DB")
        ->type_name("CONNINFO")
        ->check(conninfo_validator());
    sub.add_option("--db-pooler", o.db_pooler,
                   "What --db leads to: none (PostgreSQL itself, or a session-mode pooler) or transaction (a "
                   "transaction-mode pooler such as PgBouncer: statements are sent unnamed, not prepared)")
        ->envname("EXAMQ_DB_POOLER")
        ->capture_default_str()
        ->check(CLI::IsMember({"none", "transaction"}));
  }
  sub.add_option("--concurrency", o.concurrency, "Jobs run at once (default: number of cores)")
      ->envname("EXAMQ_CONCURRENCY")
      ->check(CLI::Range(1, 1024));
  sub.add_option("--job-types", o.job_types, "Comma-separated job types to run (default: all)")
      ->envname("EXAMQ_JOB_TYPES")
      ->type_name("TYPES");
  sub.add_option("--poll-interval", o.poll_interval,
                 "Fallback polling interval; jobs normally start on NOTIFY at once")
      ->envname("EXAMQ_POLL_INTERVAL")
      ->capture_default_str()
      ->check(duration_validator());
  sub.add_option("--lease", o.lease,
                 "Lease on a running job, renewed every lease/3; a dead worker's jobs are taken over after it")
      ->envname("EXAMQ_LEASE")
      ->capture_default_str()
      ->check(duration_validator());
  sub.add_option("--shutdown-grace", o.shutdown_grace,
                 "On SIGTERM/SIGINT, time running jobs get to finish before they are handed back")
      ->envname("EXAMQ_SHUTDOWN_GRACE")
      ->capture_default_str()
      ->check(duration_validator());
  sub.add_option("--worker-id", o.worker_id, "Name recorded as locked_by (default: host:pid)")
      ->envname("EXAMQ_WORKER_ID")
      ->type_name("ID");
  sub.add_option("--max-batch", o.max_batch, "Most jobs claimed or completed in one round trip")
      ->envname("EXAMQ_MAX_BATCH")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  sub.add_option("--metrics-listen", o.metrics_listen,
                 "Serve Prometheus metrics at http://HOST:PORT/metrics (default: off; loopback only "
                 "unless --metrics-allow-remote)")
      ->envname("EXAMQ_METRICS_LISTEN")
      ->type_name("HOST:PORT");
  sub.add_flag("--metrics-allow-remote", o.metrics_allow_remote,
               "Allow a --metrics-listen address other machines can reach (the page has no authentication)")
      ->envname("EXAMQ_METRICS_ALLOW_REMOTE");
  add_logging_options(sub, o.logging);
  sub.footer(
      "Durations take a unit: 500ms, 5s, 2m, 1h. Every option can also be set with the environment\n"
      "variable shown (Env:...). The built-in diagnostic job type `noop` takes a payload like\n"
      "{\"sleep_ms\": 50, \"steps\": 4, \"fail\": \"transient\"|\"critical\"} (see docs/configuration.md).\n"
      "Stop with SIGTERM or Ctrl-C: running jobs get the grace period, then are handed back; a second\n"
      "signal exits at once.");
}

queue::WorkerConfig to_worker_config(const WorkerOptions& o) {
  queue::WorkerConfig c;
  c.conninfo = resolve_database(o.db);
  c.listen_conninfo = o.listen_db;
  c.transaction_pooler = o.db_pooler == "transaction";
  c.concurrency = o.concurrency > 0 ? o.concurrency : queue::default_concurrency();
  c.job_types = queue::parse_job_types(o.job_types);
  c.poll_interval = util::parse_duration(o.poll_interval);
  c.lease = util::parse_duration(o.lease);
  c.shutdown_grace = util::parse_duration(o.shutdown_grace);
  c.worker_id = o.worker_id.empty() ? queue::default_worker_id() : o.worker_id;
  c.max_batch = o.max_batch;
  queue::validate(c);
  return c;
}

std::vector<std::string> worker_arguments(const WorkerOptions& o) {
  std::vector<std::string> args;
  // NAME=VALUE: a value starting with '-' stays a value.
  auto add = [&](const char* name, const std::string& value) { args.push_back(std::string(name) + "=" + value); };
  if (o.concurrency > 0) add("--concurrency", std::to_string(o.concurrency));
  if (!o.job_types.empty()) add("--job-types", o.job_types);
  add("--poll-interval", o.poll_interval);
  add("--lease", o.lease);
  add("--shutdown-grace", o.shutdown_grace);
  if (!o.worker_id.empty()) add("--worker-id", o.worker_id);
  add("--max-batch", std::to_string(o.max_batch));
  if (o.db_pooler != "none") add("--db-pooler", o.db_pooler);
  if (!o.metrics_listen.empty()) add("--metrics-listen", o.metrics_listen);
  if (o.metrics_allow_remote) args.push_back("--metrics-allow-remote");
  add("--log-level", o.logging.level);
  add("--log-format", o.logging.format);
  return args;
}

DetachedWorker start_worker_in_background(const WorkerOptions& options) {
  to_worker_config(options);  // bad settings are reported here, not in a log file
  metrics_address(options);
  // Like --db, it reaches the worker in the environment (no password in `ps`).
  if (!options.listen_db.empty()) ::setenv("EXAMQ_LISTEN_DB", options.listen_db.c_str(), 1);
  // Ready means connected, schema checked and registered: seconds at most on a reachable
  // database; a worker still retrying after this long is stopped and its log shown.
  return start_detached_worker(examq_home(), worker_arguments(options), options.db, std::chrono::seconds(30));
}

namespace {

bool runs(const queue::WorkerConfig& config, std::string_view job_type) {
  return config.job_types.empty() ||
         std::find(config.job_types.begin(), config.job_types.end(), job_type) != config.job_types.end();
}

// A type no handler has would be claimed by nobody, ever: its jobs would wait in silence.
void check_job_types(const queue::WorkerConfig& config, const handlers::Registry& registry) {
  std::string unknown;
  for (const std::string& t : config.job_types) {
    if (!registry.knows(t)) unknown += (unknown.empty() ? "" : ", ") + t;
  }
  if (unknown.empty()) return;
  std::string known;
  for (const std::string& t : registry.job_types()) known += (known.empty() ? "" : ", ") + t;
  throw std::invalid_argument("--job-types: no handler for " + unknown + " (examq runs: " + known + ")");
}

// `examq worker --detach`.
int detach(const WorkerOptions& options) {
  return run_reporting("worker", [&]() {
    DetachedWorker w = start_worker_in_background(options);
    std::cout << "examq worker started in the background: pid " << w.pid << ", log " << w.log << "\n"
              << "Stop it with `examq down` (which also stops the cluster `examq up` started) or `kill " << w.pid
              << "`.\n";
    return kExitOk;
  });
}

}  // namespace

Command add_worker_command(CLI::App& app) {
  auto options = std::make_shared<WorkerOptions>();
  CLI::App* sub = app.add_subcommand("worker", "Run jobs: claim, execute and settle them until SIGTERM/SIGINT");
  bind_worker_options(*sub, *options);
  sub->add_flag("--detach", options->detach,
                "Run in the background: return once the worker is connected and registered; pid in "
                "$EXAMQ_HOME/worker.pid, log in $EXAMQ_HOME/worker.log; `examq down` stops it");
  return {sub, [options]() -> int {
            // Started by --detach: the starter waits for this worker's "ready".
            std::function<void()> on_ready = adopt_detached_start();
            if (options->detach) return detach(*options);
            queue::WorkerConfig config;
            std::optional<ListenAddress> metrics_at;
            try {
              config = to_worker_config(*options);
              metrics_at = metrics_address(*options);
              apply_logging_options(options->logging);
            } catch (const std::invalid_argument& e) {
              std::cerr << "examq worker: " << e.what() << "\n";
              return kExitUsage;
            }
            util::set_log_context("worker_id", config.worker_id);
            if (config.transaction_pooler) pg::set_statement_mode(pg::StatementMode::unnamed);
            util::ShutdownSignals& signals = util::ShutdownSignals::install();
            handlers::Registry registry;
            try {
              handlers::register_builtin_handlers(registry);
              // Every handler's EXAMQ_* settings are checked whatever the types; only the types
              // this worker runs get their start-up checks (the OCR languages, loaded in a child).
              pipeline::register_pipeline_handlers(registry, runs(config, "process-exam-paper"));
              notify::register_notify_handlers(registry, runs(config, "notify"));
              retag::register_retag_handlers(registry, runs(config, "retag-questions"));
              check_job_types(config, registry);
            } catch (const std::invalid_argument& e) {
              std::cerr << "examq worker: " << e.what() << "\n";
              return kExitUsage;
            } catch (const std::runtime_error& e) {  // e.g. an OCR language pack is missing
              std::cerr << "examq worker: " << e.what() << "\n";
              return kExitFailure;
            }
            std::shared_ptr<MetricsEndpoint> metrics;
            try {
              if (metrics_at) metrics = start_metrics_endpoint(*metrics_at, config);
            } catch (const std::system_error& e) {
              std::cerr << "examq worker: " << e.what() << "\n";
              return kExitFailure;
            }
            queue::WorkerExit exit = queue::run_worker(config, registry, signals, std::move(on_ready));
            if (exit.threads_stuck) {
              // A handler ignored the hand-back and still runs: its job is already released, so
              // end the process without running destructors under its feet.
              spdlog::default_logger()->flush();
              std::fflush(nullptr);
              std::_Exit(exit.code);
            }
            return exit.code;
          }};
}

}  // namespace examq::cli
