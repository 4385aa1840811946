#pragma once
// `examq cancel`: cancel a pending job at once, or ask a running one to stop (cancel_processing_job).

#include "cli/command.h"

namespace examq::cli {

Command add_cancel_command(CLI::App& app);

}  // namespace examq::cli
