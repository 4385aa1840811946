#include "handlers/noop.h"

#include <chrono>
#include <cstdint>

namespace examq::handlers {
namespace {

// sql/0018: fenced by attempt, run in the completion transaction.
const pg::Statement kRecordExecution{"examq_record_noop_execution",
                                     "SELECT examq_record_noop_execution($1::uuid, $2, $3::int)"};

std::int64_t epoch_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void invalid(const std::string& why) { throw JobError("noop: invalid payload: " + why, true); }

std::int64_t non_negative_integer(const tao::json::value& payload, const char* key, std::int64_t fallback,
                                  std::int64_t max) {
  const tao::json::value* v = payload.find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_integer()) invalid(std::string(key) + " must be an integer");
  std::int64_t n = v->is_signed() ? v->get_signed() : static_cast<std::int64_t>(v->get_unsigned());
  if (v->is_unsigned() && v->get_unsigned() > static_cast<std::uint64_t>(max)) n = max + 1;
  if (n < 0 || n > max) invalid(std::string(key) + " must be between 0 and " + std::to_string(max));
  return n;
}

}  // namespace

JobOutcome NoopHandler::run(JobContext& ctx) {
  const std::int64_t started_at = epoch_micros();
  const Job& job = ctx.job();
  const tao::json::value& payload = job.payload;
  if (!payload.is_object()) invalid("it must be a JSON object");

  const std::int64_t sleep_ms = non_negative_integer(payload, "sleep_ms", 0, 24LL * 3600 * 1000);
  const std::int64_t steps = non_negative_integer(payload, "steps", 0, 10000);
  const std::int64_t fail_attempts = non_negative_integer(payload, "fail_attempts", -1, 1000);
  const std::int64_t snooze_ms = non_negative_integer(payload, "snooze_ms", 0, 24LL * 3600 * 1000);
  std::string fail;
  if (const tao::json::value* f = payload.find("fail"); f != nullptr && !f->is_null()) {
    if (!f->is_string()) invalid("fail must be a string");
    fail = f->get_string();
    if (fail != "transient" && fail != "critical" && fail != "exception" && fail != "snooze") {
      invalid("fail must be \"transient\", \"critical\", \"exception\" or \"snooze\"");
    }
  }

  bool log_execution = false;
  if (const tao::json::value* l = payload.find("log_execution"); l != nullptr && !l->is_null()) {
    if (!l->is_boolean()) invalid("log_execution must be true or false");
    log_execution = l->get_boolean();
  }

  bool read_database = false;
  if (const tao::json::value* r = payload.find("read_database"); r != nullptr && !r->is_null()) {
    if (!r->is_boolean()) invalid("read_database must be true or false");
    read_database = r->get_boolean();
  }
  // As a real handler reads its inputs: a statement on a pooled connection (pg::Error from it
  // is a retryable failure, as for any handler).
  if (read_database) ctx.database()->exec("SELECT 1");

  if (steps == 0) {
    if (sleep_ms > 0 && !ctx.sleep_for(std::chrono::milliseconds(sleep_ms))) ctx.check_cancelled();
  } else {
    const auto per_step = std::chrono::duration_cast<util::Duration>(std::chrono::milliseconds(sleep_ms)) / steps;
    for (std::int64_t i = 1; i <= steps; ++i) {
      if (per_step.count() > 0 && !ctx.sleep_for(per_step)) ctx.check_cancelled();
      ctx.progress(static_cast<int>(i * 100 / steps),
                   "Step " + std::to_string(i) + " of " + std::to_string(steps));
    }
  }

  if (!fail.empty() && (fail_attempts < 0 || job.attempt <= fail_attempts)) {
    if (fail == "transient") throw JobError("noop: transient failure requested", false);
    if (fail == "critical") throw JobError("noop: critical failure requested", true);
    if (fail == "snooze") throw JobSnoozed(std::chrono::milliseconds(snooze_ms), "noop: snooze requested");
    throw std::runtime_error("noop: exception requested");
  }

  JobOutcome outcome;
  outcome.result = tao::json::value{{"handler_started_at", started_at}, {"attempt", job.attempt}};
  if (log_execution) {
    // In the completion transaction, just before complete_processing_job: the row commits with
    // the completion, and a stale attempt gets 55000 and writes nothing.
    outcome.in_completion = [job_id = job.id, attempt = job.attempt, worker = ctx.worker_id()](pg::Connection& c) {
      c.exec(kRecordExecution, job_id, worker, attempt);
    };
  }
  return outcome;
}

}  // namespace examq::handlers
