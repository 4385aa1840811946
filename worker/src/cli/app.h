#pragma once
// The `examq` program: parses the command line and runs the chosen subcommand.

namespace examq::cli {

// Returns the process exit code (0 ok, 1 failure, 2 usage).
int run(int argc, char** argv);

}  // namespace examq::cli
