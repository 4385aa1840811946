#pragma once
// `examq submit`: upload exam-paper PDFs (each checked to be a readable PDF first, before anything
// is sent), each creating a paper and its job in one transaction; --wait follows them live.

#include "cli/command.h"

namespace examq::cli {

Command add_submit_command(CLI::App& app);

}  // namespace examq::cli
