#pragma once
// How an AI provider's failure becomes a job's outcome, the same for every job type that calls a
// model (process-exam-paper, retag-questions): a rate limit snoozes the job while its snooze budget
// lasts, a bad answer is retried with a fresh attempt, the rest fail as the error says. Apart from
// examq_ai so the provider layer does not depend on the job handlers.

#include "ai/ai_config.h"
#include "ai/ai_error.h"
#include "handlers/handler.h"

#include <tao/json/value.hpp>

namespace examq::ai {

// The number at error_details[key] of the job's previous attempt (0 when absent).
double previous_attempt_number(const handlers::Job& job, const char* key);

// An AI failure as the job's failure. A bad answer (the model's answer unusable twice for one
// batch) is worth a fresh attempt: a later try usually reads the page. It is critical only on the
// last attempt and only when every attempt failed that way (error_details.bad_answer_attempts
// counts them; any other failure replaces error_details and so restarts the count). `usage` (the
// tokens spent so far) defaults to the error's own.
handlers::JobError job_error(const AiError& e, const handlers::Job& job, tao::json::value usage = tao::json::null);

// A rate-limited call: snoozed while the job's snooze budget (EXAMQ_AI_MAX_SNOOZES,
// EXAMQ_AI_MAX_SNOOZE_TIME) lasts, counted by snooze_processing_job in error_details; past it,
// failed (non-critical: the queue's retries apply) with the provider's message. Either way the
// reason and the usage spent so far (default: the error's own) are recorded.
[[noreturn]] void snooze_or_fail(const RateLimited& e, const handlers::Job& job, const AiConfig& config,
                                 tao::json::value usage = tao::json::null);

}  // namespace examq::ai
