#pragma once
// `examq migrate`: install or upgrade the schema with the migrations compiled into the binary.

#include "cli/command.h"

namespace examq::cli {

Command add_migrate_command(CLI::App& app);

}  // namespace examq::cli
