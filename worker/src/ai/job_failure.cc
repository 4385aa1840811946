#include "ai/job_failure.h"

#include "util/duration.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace examq::ai {

using handlers::JobError;

double previous_attempt_number(const handlers::Job& job, const char* key) {
  if (!job.error_details.is_object()) return 0;
  const tao::json::value* v = job.error_details.find(key);
  if (v == nullptr) return 0;
  if (v->is_signed()) return static_cast<double>(v->get_signed());
  if (v->is_unsigned()) return static_cast<double>(v->get_unsigned());
  if (v->is_double()) return v->get_double();
  return 0;
}

JobError job_error(const AiError& e, const handlers::Job& job, tao::json::value usage) {
  tao::json::value details = {{"kind", std::string(kind_name(e.kind()))}};
  if (usage.is_null()) usage = e.usage();
  if (!usage.is_null()) details["usage"] = std::move(usage);
  bool critical = !e.transient();
  if (e.kind() == AiErrorKind::bad_answer) {
    const int attempts = static_cast<int>(previous_attempt_number(job, "bad_answer_attempts")) + 1;
    details["bad_answer_attempts"] = attempts;
    const bool last = job.retry_count >= job.max_retries;
    critical = last && attempts >= job.retry_count + 1;
  }
  return JobError(e.what(), critical, std::move(details));
}

void snooze_or_fail(const RateLimited& e, const handlers::Job& job, const AiConfig& config, tao::json::value usage) {
  const double snoozes = previous_attempt_number(job, "snoozes");
  const double seconds = previous_attempt_number(job, "snoozed_seconds");
  const double delay = std::chrono::duration<double>(e.retry_after()).count();
  const double budget = std::chrono::duration<double>(config.max_snooze_time).count();
  tao::json::value details = {{"kind", std::string(kind_name(e.kind()))}};
  if (usage.is_null()) usage = e.usage();
  if (!usage.is_null()) details["usage"] = std::move(usage);
  if (snoozes >= config.max_snoozes || seconds + delay > budget) {
    details["snoozes"] = static_cast<std::int64_t>(snoozes);
    details["snoozed_seconds"] = seconds;
    details["snooze_budget_spent"] = true;
    const std::string spent =
        snoozes >= config.max_snoozes
            ? "snoozed " + std::to_string(static_cast<std::int64_t>(snoozes)) + " times (EXAMQ_AI_MAX_SNOOZES=" +
                  std::to_string(config.max_snoozes) + ")"
            : "snoozing " + std::to_string(static_cast<std::int64_t>(delay)) + " s more would pass EXAMQ_AI_MAX_SNOOZE_TIME=" +
                  util::format_duration(std::chrono::duration_cast<std::chrono::seconds>(config.max_snooze_time)) +
                  " (" + std::to_string(static_cast<std::int64_t>(seconds)) + " s so far)";
    throw JobError(std::string(e.what()) + "; " + spent + ", so the job fails instead", false, std::move(details));
  }
  throw handlers::JobSnoozed(e.retry_after(), e.what(), std::move(details));
}

}  // namespace examq::ai
