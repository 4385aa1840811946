#pragma once
// Handlers by job type. Filled at start-up, then only read (safe from any thread).

#include "handlers/handler.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace examq::handlers {

class Registry {
 public:
  // Registers handler for job_type. Throws std::invalid_argument when job_type already has one.
  void add(std::string job_type, std::unique_ptr<Handler> handler);
  // Records a job type examq handles but this worker does not run (its handler is not built):
  // the name stays known, so that only a name no handler has is refused (--job-types).
  void add_not_run(std::string job_type);
  // The handler for job_type, or nullptr (also for a type added with add_not_run).
  Handler* find(std::string_view job_type) const;
  // Whether examq handles job_type, run by this worker or not.
  bool knows(std::string_view job_type) const;
  // Every job type examq handles, run by this worker or not, sorted.
  std::vector<std::string> job_types() const;

 private:
  // A type added with add_not_run maps to nullptr.
  std::map<std::string, std::unique_ptr<Handler>, std::less<>> handlers_;
};

// Registers every handler built into examq. Add new built-in job types here.
void register_builtin_handlers(Registry& registry);

}  // namespace examq::handlers
