#pragma once
// `examq down`: stop the background worker `ci/quickstart` started and the private cluster.

#include "cli/command.h"

namespace examq::cli {

Command add_down_command(CLI::App& app);

}  // namespace examq::cli
