#pragma once
// Runs the examq binary as a user would, capturing what it prints and its exit code.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace examq::testing {

struct CliResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when it had to be killed for running too long
  std::string out;     // stdout (a pipe: not a terminal)
  std::string err;     // stderr
};

// "exit N", then stdout and stderr under headings: what a failed check shows.
std::string describe(const CliResult& r);

// A scratch directory under /tmp, removed with what it holds when this goes.
struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
};

// `examq args...` with extra environment variables set (an empty value unsets one), stdin from
// /dev/null. Reads both pipes until the process closes them, then reaps it; kills it after
// `timeout` (the result then has exit_code -1).
CliResult run_examq(const std::vector<std::string>& args,
                    const std::vector<std::pair<std::string, std::string>>& env = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(120));

// Any program (argv[0] a path) the same way, in this process's environment.
CliResult run_program(const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout = std::chrono::seconds(120));
// The same, run from the directory `cwd`.
CliResult run_examq_in(const std::string& cwd, const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& env = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(120));

// The same with stdout on a pseudo-terminal `columns` wide (stdin from /dev/null, stderr a pipe),
// so the command believes a person is watching. `out` is what the terminal received, escape
// sequences included ("\r\n" line ends).
CliResult run_examq_in_terminal(const std::vector<std::string>& args,
                                const std::vector<std::pair<std::string, std::string>>& env = {}, int columns = 100,
                                std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace examq::testing
