#pragma once
// How the read/admin subcommands talk to people and scripts: aligned tables, --json documents,
// durations, and one place that turns exceptions into a message on stderr and an exit code.

#include <CLI/CLI.hpp>
#include <tao/json/value.hpp>

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace examq::cli {

// `text` made safe for a terminal (issue 14, finding 8). Whatever the database holds (error
// messages, steps, titles, file names, worker ids) could otherwise carry escape sequences that
// retitle the window, move the cursor or rewrite what was printed before. Escaped: C0 controls
// and DEL as \xNN (\n, \r and \t by those names: a cell is one line), C1 controls (U+0080..U+009F,
// which terminals also obey) as \u00NN, and each byte that is not part of valid UTF-8 as \xNN.
// Everything else, other scripts included, is kept. The escapes are printable, so escaping
// twice changes nothing. Every human-readable output goes through it (cell(), Table, show's
// fields, watch's lines, run_reporting's messages); --json output does not need it (JSON escapes
// control characters itself) and stays as it was.
std::string printable(std::string_view text);
// The same but keeping line breaks and tabs, for text meant to span lines (question text, JSON
// blocks, error messages such as libpq's "...failed\n\tIs the server running...").
std::string printable_lines(std::string_view text);

// A table printed with columns padded to their widest cell; the last column is not padded.
// Headers and cells are passed through printable().
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// `value` as indented JSON followed by a newline (for --json).
void print_json(std::ostream& out, const tao::json::value& value);

// A JSON value as a table cell: strings unquoted, null as "-", numbers as printed by JSON;
// always printable().
std::string cell(const tao::json::value& value);
// The member `key` of an object as a cell ("-" when absent or null).
std::string cell(const tao::json::value& object, const std::string& key);
// The same keeping line breaks (printable_lines()), for multi-line text.
std::string text_block(const tao::json::value& object, const std::string& key);

// "0:07", "12:03", "1:02:03": elapsed time for progress lines.
std::string format_clock(double seconds);
// "850ms", "12.3s", "4m05s", "2h13m", "3d4h": a compact age or duration.
std::string format_age(double seconds);

// Whether `fd` is a terminal, and its width in columns (80 when unknown).
bool is_terminal(int fd);
int terminal_columns(int fd);

// Runs a subcommand's body and maps what escapes it to an exit code, printing
// "examq <name>: <message>" on stderr: pg::Error and std::runtime_error are failures (1),
// std::invalid_argument is a usage error (2). A lost connection says where it tried to connect.
int run_reporting(const std::string& name, const std::function<int()>& body);

// CLI11 check that an argument is a UUID (job and exam paper ids), so a typo is a usage error
// (exit 2) before any database is contacted.
CLI::Validator uuid_validator();

}  // namespace examq::cli
