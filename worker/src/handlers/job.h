#pragma once
// A job as its handler sees it: what was claimed, read-only.

#include <tao/json/value.hpp>

#include <optional>
#include <string>

namespace examq::handlers {

struct Job {
  std::string id;    // uuid, text form
  std::string type;  // job_type
  int priority = 0;
  std::optional<std::string> exam_paper_id;
  tao::json::value payload = tao::json::empty_object;  // an object; {} when the row had none
  int retry_count = 0;  // failed attempts already retried
  int max_retries = 0;
  int attempt = 1;      // this claim's number, 1 for the first (the row's `attempts`)
  // The row's error_details as claimed: what the previous attempt's failure or snooze recorded
  // (null when none). A handler may read it to count its own repeated failures or snoozes.
  tao::json::value error_details = tao::json::null;
};

}  // namespace examq::handlers
