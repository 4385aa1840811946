#pragma once
// `examq serve`: the HTTP API (docs/http-api.md).

#include "cli/command.h"

namespace examq::cli {

Command add_serve_command(CLI::App& app);

}  // namespace examq::cli
