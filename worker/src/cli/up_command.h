#pragma once
// `examq up`: create (first time) and start the private PostgreSQL cluster under $EXAMQ_HOME, install the
// schema (and the cleanup extension when installed), and record how to connect. Idempotent.

#include "cli/command.h"

namespace examq::cli {

Command add_up_command(CLI::App& app);

}  // namespace examq::cli
