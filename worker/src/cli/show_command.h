#pragma once
// `examq show`: everything about one job, including error details and the result (never the payload's
// base64 images).

#include "cli/command.h"

namespace examq::cli {

Command add_show_command(CLI::App& app);

}  // namespace examq::cli
