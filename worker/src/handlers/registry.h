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
  // The handler for job_type, or nullptr.
  Handler* find(std::string_view job_type) const;
  // Every registered job type, sorted.
  std::vector<std::string> job_types() const;

 private:
  std::map<std::string, std::unique_ptr<Handler>, std::less<>> handlers_;
};

// Registers every handler built into examq. Add new built-in job types here.
void register_builtin_handlers(Registry& registry);

}  // namespace examq::handlers
