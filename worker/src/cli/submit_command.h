#pragma once
// `examq submit`: upload exam-paper PDFs (each checked to be a readable PDF first, before anything
// is sent), each creating a paper and its job in one transaction; --wait follows them live.

#include "cli/command.h"

#include <string>

namespace examq::cli {

Command add_submit_command(CLI::App& app);

// --priority as submit and retag take it: high 10, normal 0, low -10, or an integer in
// -1000..1000. Throws std::invalid_argument otherwise.
int parse_priority(const std::string& text);
// The same rule as a CLI11 check, for --priority options.
CLI::Validator priority_validator();

}  // namespace examq::cli
