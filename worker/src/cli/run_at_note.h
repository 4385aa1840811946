#pragma once
// A pending job waiting for its run_at (a retry's backoff, a snooze, a scheduled start) looked
// like a fresh one: `jobs` and `show` say how long it still waits.

#include <tao/json/value.hpp>

#include <string>

namespace examq::cli {

// "retry in 35 s" (a job that has failed before), "runs in 2m05s" (one that has not), or ""
// when the job is not waiting: from its run_in_seconds (null unless pending with run_at in the
// future) and retry_count.
std::string run_at_note(const tao::json::value& job);

}  // namespace examq::cli
