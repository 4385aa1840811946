#include "handlers/registry.h"

#include <stdexcept>

namespace examq::handlers {

void Registry::add(std::string job_type, std::unique_ptr<Handler> handler) {
  if (handlers_.count(job_type) != 0) {
    throw std::invalid_argument("a handler for job type " + job_type + " is already registered");
  }
  handlers_.emplace(std::move(job_type), std::move(handler));
}

void Registry::add_not_run(std::string job_type) {
  if (handlers_.count(job_type) != 0) {
    throw std::invalid_argument("job type " + job_type + " is already registered");
  }
  handlers_.emplace(std::move(job_type), nullptr);
}

bool Registry::knows(std::string_view job_type) const { return handlers_.find(job_type) != handlers_.end(); }

Handler* Registry::find(std::string_view job_type) const {
  auto it = handlers_.find(job_type);
  return it == handlers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Registry::job_types() const {
  std::vector<std::string> out;
  for (const auto& [type, handler] : handlers_) out.push_back(type);
  return out;
}

}  // namespace examq::handlers
