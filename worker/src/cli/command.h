#pragma once
// How a subcommand plugs into `examq`. Each subcommand lives in its own file and exposes one
// function of type AddCommand; commands.cc lists them (one line each). To add `examq foo`:
// write cli/foo_command.{h,cc} with `Command add_foo_command(CLI::App& app)`, add it to
// commands.cc and to CMakeLists.txt.
//
// Exit codes for every subcommand: 0 success, 1 failure, 2 usage error.

#include <CLI/CLI.hpp>

#include <functional>

namespace examq::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Command {
  CLI::App* app;             // the subcommand, as registered with app.add_subcommand()
  std::function<int()> run;  // runs it after a successful parse; returns the exit code
};

using AddCommand = Command (*)(CLI::App& app);

// Every subcommand, in the order `examq --help` lists them.
const std::vector<AddCommand>& all_commands();

}  // namespace examq::cli
