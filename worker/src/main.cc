// examq: the single binary. Everything is a subcommand; see cli/commands.cc.
#include "cli/app.h"

int main(int argc, char** argv) { return examq::cli::run(argc, argv); }
