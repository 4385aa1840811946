#pragma once
// `examq jobs`: a list of jobs, newest first.

#include "cli/command.h"

namespace examq::cli {

Command add_jobs_command(CLI::App& app);

}  // namespace examq::cli
