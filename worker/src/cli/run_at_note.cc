#include "cli/run_at_note.h"

#include "cli/output.h"

#include <cmath>

namespace examq::cli {

std::string run_at_note(const tao::json::value& job) {
  const tao::json::value* wait = job.is_object() ? job.find("run_in_seconds") : nullptr;
  if (wait == nullptr || !wait->is_number()) return "";
  const double seconds = wait->as<double>();
  if (seconds <= 0) return "";
  // Whole seconds, rounded up, under two minutes ("35 s"); a compact age beyond.
  const std::string in = seconds < 120 ? std::to_string(static_cast<long>(std::ceil(seconds))) + " s" : format_age(seconds);
  const tao::json::value* retries = job.find("retry_count");
  const bool retrying = retries != nullptr && retries->is_number() && retries->as<long>() > 0;
  return (retrying ? "retry in " : "runs in ") + in;
}

}  // namespace examq::cli
