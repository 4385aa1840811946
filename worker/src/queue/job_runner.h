#pragma once
// Runs one job's handler and turns whatever happens into a Settlement. Nothing escapes: the
// job boundary catches every exception.

#include "handlers/registry.h"
#include "queue/job_context.h"
#include "queue/settlement.h"

#include <memory>

namespace examq::queue {

Settlement run_job(const std::shared_ptr<JobRun>& run, const handlers::Registry& registry, WorkerJobContext& ctx);

}  // namespace examq::queue
