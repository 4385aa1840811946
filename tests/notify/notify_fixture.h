#pragma once
// What the notify suites share: a settled batch with a preference row (so that sql/0012's
// settle triggers have enqueued its notify job), and environment settings for the worker child.

#include "pg/connection.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace examq::testing {

struct SettledBatch {
  std::string batch_id;
  std::string physics_job;    // completed, 3 questions, review needed
  std::string chemistry_job;  // failed (critical): "the PDF is encrypted"
  std::vector<std::string> notify_jobs;  // enqueued by the settle, oldest first
};

// Batch "Week 12 – mocks" of two process-exam-paper jobs, settled through the queue's SQL
// functions as another worker would, for a preference row of this login (per batch) with
// `channel` ("email" or "webhook") set to `address`.
SettledBatch settle_batch(pg::Connection& conn, const std::string& channel, const std::string& address);

// Sets (or, for "", unsets) environment variables for the worker children started while it
// lives; restores them afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<std::string, std::string>> values);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace examq::testing
