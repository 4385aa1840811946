#pragma once
// How the read/admin subcommands talk to people and scripts: aligned tables, --json documents,
// durations, and one place that turns exceptions into a message on stderr and an exit code.

#include <CLI/CLI.hpp>
#include <tao/json/value.hpp>

#include <functional>
#include <optional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace examq::pg {
class Error;
}

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
// `value` as JSON on one line followed by a newline: newline-delimited JSON, for streams of
// objects (watch --json's events) and for errors and warnings on stderr.
void print_json_line(std::ostream& out, const tao::json::value& value);

// --json speaks snake_case (issue 20). The SQL API answers in camelCase (submit_exam_paper's
// jobId, examPaperId, estimatedTime) and keeps doing so for its callers; the command line
// translates: "examPaperId" -> "exam_paper_id". Keys already in snake_case are unchanged.
std::string snake_case(std::string_view key);
// A copy of `object` with its own keys in snake_case; nested values are left as they are.
tao::json::value snake_case_keys(const tao::json::value& object);

// What went wrong, the way --json reports it on stderr (docs/schemas/error.schema.json):
// {"error": {"command", "message", "exit_code", "sqlstate" (null unless the server sent one),
// and "hint", "detail" when there are}}.
tao::json::value error_json(const std::string& command, const std::string& message, int exit_code,
                            const std::optional<std::string>& hint = std::nullopt);
// The same for a database error: the server's sentence, SQLSTATE, detail and hint, and the
// `examq up` hint for a connection that could not be made.
tao::json::value error_json(const std::string& command, const pg::Error& e);

// A warning on stderr: "examq <command>: warning: <message>", or with `json`
// {"warning": {"command", "message"}} on one line.
void print_warning(const std::string& command, const std::string& message, bool json);

// A JSON value as a table cell: strings unquoted, null as "-", numbers as printed by JSON;
// always printable().
std::string cell(const tao::json::value& value);
// The member `key` of an object as a cell ("-" when absent or null).
std::string cell(const tao::json::value& object, const std::string& key);
// The same keeping line breaks (printable_lines()), for multi-line text.
std::string text_block(const tao::json::value& object, const std::string& key);

// Now as an ISO 8601 UTC timestamp in milliseconds ("2026-12-05T12:01:07.123Z"): the time of
// a JSON event.
std::string utc_now();

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
// With `json` (the command's --json) the same is one error_json() line on stderr instead, so a
// script reads every failure, of every command, the same way.
int run_reporting(const std::string& name, bool json, const std::function<int()>& body);
// For commands without --json.
int run_reporting(const std::string& name, const std::function<int()>& body);

// A command line CLI11 refused (exit 2): "examq <name>: <message>" and where to read the usage,
// or with `json` the error object. `name` is the subcommand ("" when none was recognised).
int report_usage_error(const std::string& name, const std::string& message, bool json);

// CLI11 check that an argument is a UUID (job and exam paper ids), so a typo is a usage error
// (exit 2) before any database is contacted.
CLI::Validator uuid_validator();

}  // namespace examq::cli
