#pragma once
// `examq pages PAPER --out DIR`: the page images stored for an exam paper, written as files.

#include "cli/command.h"

namespace examq::cli {

Command add_pages_command(CLI::App& app);

}  // namespace examq::cli
