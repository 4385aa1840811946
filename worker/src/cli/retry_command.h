#pragma once
// `examq retry`: put a failed or cancelled job back in the queue (retry_processing_job).

#include "cli/command.h"

namespace examq::cli {

Command add_retry_command(CLI::App& app);

}  // namespace examq::cli
