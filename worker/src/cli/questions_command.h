#pragma once
// `examq questions`: the questions extracted from an exam paper, as a readable list.

#include "cli/command.h"

namespace examq::cli {

Command add_questions_command(CLI::App& app);

}  // namespace examq::cli
