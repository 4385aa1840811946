#pragma once
// How a job's run ends, as handed from an executor to whoever records it in the database.

#include "queue/job_run.h"
#include "util/duration.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace examq::pg {
class Connection;
}

namespace examq::queue {

struct Settlement {
  enum class Kind {
    complete,  // complete_processing_job(s) with result_json (and in_completion, if any)
    fail,      // fail_processing_job with error_message / critical / error_details
    cancel,    // confirm_processing_job_cancelled
    release,   // release_processing_job (shutdown: hand back, no retry used)
    snooze,    // snooze_processing_job for snooze_delay with error_message as the reason and
               // error_details (if any) as its details
    none,      // nothing to record: the job was abandoned (lease lost)
  };

  Kind kind = Kind::none;
  std::shared_ptr<JobRun> run;
  std::string result_json;
  std::function<void(pg::Connection&)> in_completion;
  std::string error_message;
  bool critical = false;
  std::optional<std::string> error_details;  // JSON text
  util::Duration snooze_delay{};
  bool settled = false;  // recorded, or rejected for good: never to be sent again

  static Settlement fail(std::shared_ptr<JobRun> run, std::string message, bool critical,
                         std::optional<std::string> details = std::nullopt) {
    Settlement s;
    s.kind = Kind::fail;
    s.run = std::move(run);
    s.error_message = std::move(message);
    s.critical = critical;
    s.error_details = std::move(details);
    return s;
  }
  static Settlement of(Kind kind, std::shared_ptr<JobRun> run) {
    Settlement s;
    s.kind = kind;
    s.run = std::move(run);
    return s;
  }
};

}  // namespace examq::queue
