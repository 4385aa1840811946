#pragma once
// `examq status`: the private cluster, the connection, the schema version, the cleanup extension, jobs by
// status, and the live workers (from the worker registry, idle ones too).

#include "cli/command.h"

namespace examq::cli {

Command add_status_command(CLI::App& app);

}  // namespace examq::cli
