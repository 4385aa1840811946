#pragma once
// `examq stats`: the processing_job_stats view (last day, last week; per job type and overall).

#include "cli/command.h"

namespace examq::cli {

Command add_stats_command(CLI::App& app);

}  // namespace examq::cli
