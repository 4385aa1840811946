#pragma once
// `examq workers`: the live workers from the worker registry (idle ones too), with --all the
// lost and stopped ones it still keeps.

#include "cli/command.h"

namespace examq::cli {

Command add_workers_command(CLI::App& app);

}  // namespace examq::cli
