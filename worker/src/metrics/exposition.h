#pragma once
// The Prometheus text exposition format (version 0.0.4) of a worker's metrics.

#include "metrics/queue_sampler.h"
#include "metrics/registry.h"

#include <string>

namespace examq::metrics {

// Constant facts about the process, exposed as examq_worker_info and examq_worker_concurrency.
struct WorkerInfo {
  std::string version;
  int schema_version = 0;
  int concurrency = 0;
};

// Every metric, each with its # HELP and # TYPE lines. docs/operations.md lists them.
std::string exposition(const Registry& registry, const QueueSample& queue, const WorkerInfo& info);

}  // namespace examq::metrics
