#include "queue/job_runner.h"

#include "pg/error.h"

#include <tao/json/to_string.hpp>

namespace examq::queue {

Settlement run_job(const std::shared_ptr<JobRun>& run, const handlers::Registry& registry, WorkerJobContext& ctx) {
  const handlers::Job& job = run->job();
  handlers::Handler* handler = registry.find(job.type);
  if (handler == nullptr) return Settlement::fail(run, "no handler for job type " + job.type, true);

  try {
    handlers::JobOutcome outcome = handler->run(ctx);
    if (run->abandoned()) return Settlement::of(Settlement::Kind::none, run);
    Settlement s = Settlement::of(Settlement::Kind::complete, run);
    s.result_json = tao::json::to_string(outcome.result);
    s.in_completion = std::move(outcome.in_completion);
    return s;
  } catch (const handlers::JobAbandoned&) {
    return Settlement::of(Settlement::Kind::none, run);
  } catch (const handlers::JobCancelled&) {
    return Settlement::of(run->abandoned() ? Settlement::Kind::none : Settlement::Kind::cancel, run);
  } catch (const handlers::JobSnoozed& e) {
    Settlement s = Settlement::of(Settlement::Kind::snooze, run);
    s.snooze_delay = e.delay();
    s.error_message = e.reason();
    if (!e.details().is_null() && !e.details().is_uninitialized()) s.error_details = tao::json::to_string(e.details());
    return s;
  } catch (const handlers::JobError& e) {
    std::optional<std::string> details;
    if (!e.details().is_null() && !e.details().is_uninitialized()) details = tao::json::to_string(e.details());
    return Settlement::fail(run, e.what(), e.critical(), std::move(details));
  } catch (const pg::Error& e) {
    // Database trouble inside a handler is transient by nature: retried by the queue's rules.
    tao::json::value details = {{"sqlstate", e.sqlstate()}};
    if (!e.detail().empty()) details["detail"] = e.detail();
    return Settlement::fail(run, e.what(), false, tao::json::to_string(details));
  } catch (const std::exception& e) {
    return Settlement::fail(run, e.what(), false);
  } catch (...) {
    return Settlement::fail(run, "unknown exception (not derived from std::exception)", false);
  }
}

}  // namespace examq::queue
