#include "cli/output.h"

#include "cli/command.h"
#include "pg/error.h"
#include "util/utf8.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <tao/json/to_stream.hpp>
#include <tao/json/to_string.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <regex>

namespace examq::cli {

namespace {

constexpr const char* kConnectionHint =
    "start a local database with `examq up`, or point examq at yours with --db or DATABASE_URL";

// keep_newlines: \n and \t pass (layout, not commands to the terminal).
std::string escape_controls(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  char buf[8];
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = util::utf8_sequence(text, i, cp);
    if (n == 0) {  // not UTF-8: show the byte
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[i]));
      out += buf;
      i += 1;
      continue;
    }
    if ((cp == '\n' || cp == '\t') && keep_newlines) {
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || cp == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp >= 0x80 && cp <= 0x9f) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace

std::string printable(std::string_view text) { return escape_controls(text, false); }

std::string printable_lines(std::string_view text) { return escape_controls(text, true); }

void Table::print(std::ostream& out) const {
  auto safe = [](const std::vector<std::string>& row) {
    std::vector<std::string> s;
    for (const auto& c : row) s.push_back(printable(c));
    return s;
  };
  const std::vector<std::string> headers = safe(headers_);
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : rows_) rows.push_back(safe(row));
  std::vector<std::size_t> widths(headers.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  };
  measure(headers);
  for (const auto& row : rows) measure(row);
  auto line = [&](const std::vector<std::string>& row) {
    std::string s;
    for (std::size_t i = 0; i < row.size(); ++i) {
      s += row[i];
      if (i + 1 < row.size()) s.append(widths[i] - row[i].size() + 2, ' ');
    }
    out << s << "\n";
  };
  line(headers);
  for (const auto& row : rows) line(row);
}

void print_json(std::ostream& out, const tao::json::value& value) {
  tao::json::to_stream(out, value, 2);
  out << "\n";
}

void print_json_line(std::ostream& out, const tao::json::value& value) {
  tao::json::to_stream(out, value);
  out << "\n";
  out.flush();  // a reader of the stream sees each object as it happens
}

std::string snake_case(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 4);
  for (char c : key) {
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty() && out.back() != '_') out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

tao::json::value snake_case_keys(const tao::json::value& object) {
  if (!object.is_object()) return object;
  tao::json::value out = tao::json::empty_object;
  for (const auto& [key, value] : object.get_object()) out[snake_case(key)] = value;
  return out;
}

tao::json::value error_json(const std::string& command, const std::string& message, int exit_code,
                            const std::optional<std::string>& hint) {
  tao::json::value error = {{"command", command},
                            {"message", message},
                            {"exit_code", exit_code},
                            {"sqlstate", tao::json::null}};
  if (hint) error["hint"] = *hint;
  return {{"error", error}};
}

tao::json::value error_json(const std::string& command, const pg::Error& e) {
  std::optional<std::string> hint;
  if (!e.hint().empty()) hint = e.hint();
  if (e.connection_lost()) hint = std::string(kConnectionHint);
  tao::json::value out = error_json(command, e.sqlstate().empty() ? e.what() : e.primary(), kExitFailure, hint);
  tao::json::value& error = out["error"];
  if (!e.sqlstate().empty()) error["sqlstate"] = e.sqlstate();
  if (!e.detail().empty()) error["detail"] = e.detail();
  return out;
}

void print_warning(const std::string& command, const std::string& message, bool json) {
  if (json) {
    print_json_line(std::cerr, {{"warning", {{"command", command}, {"message", message}}}});
  } else {
    std::cerr << "examq " << command << ": warning: " << printable_lines(message) << "\n";
  }
}

std::string cell(const tao::json::value& value) {
  if (value.is_null() || value.is_uninitialized()) return "-";
  if (value.is_string()) return printable(value.get_string());
  if (value.is_double()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", value.get_double());
    return buf;
  }
  // JSON escapes C0 controls but leaves DEL and C1 as they are.
  return printable(tao::json::to_string(value));
}

std::string cell(const tao::json::value& object, const std::string& key) {
  const tao::json::value* v = object.is_object() ? object.find(key) : nullptr;
  return v != nullptr ? cell(*v) : "-";
}

std::string text_block(const tao::json::value& object, const std::string& key) {
  const tao::json::value* v = object.is_object() ? object.find(key) : nullptr;
  if (v != nullptr && v->is_string()) return printable_lines(v->get_string());
  return v != nullptr ? cell(*v) : "-";
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const long ms = static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03ldZ", ms);
  return buf;
}

std::string format_clock(double seconds) {
  long s = seconds > 0 ? static_cast<long>(seconds) : 0;
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

std::string format_age(double seconds) {
  char buf[32];
  if (seconds < 0) seconds = 0;
  if (seconds < 1) {
    std::snprintf(buf, sizeof buf, "%.0fms", seconds * 1000);
  } else if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else if (seconds < 3600) {
    long s = static_cast<long>(seconds);
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  } else if (seconds < 86400) {
    long m = static_cast<long>(seconds / 60);
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", m / 60, m % 60);
  } else {
    long h = static_cast<long>(seconds / 3600);
    std::snprintf(buf, sizeof buf, "%ldd%ldh", h / 24, h % 24);
  }
  return buf;
}

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

int terminal_columns(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

int run_reporting(const std::string& name, bool json, const std::function<int()>& body) {
  // Text: "examq NAME: message" (and hint lines); JSON: one error_json() line.
  const auto fail = [&](const std::string& message, int code) {
    if (json) {
      print_json_line(std::cerr, error_json(name, message, code));
    } else {
      std::cerr << "examq " << name << ": " << printable_lines(message) << "\n";
    }
    return code;
  };
  try {
    return body();
  } catch (const pg::Error& e) {
    if (json) {
      print_json_line(std::cerr, error_json(name, e));
      return kExitFailure;
    }
    // The server's own sentence and SQLSTATE; the SQL that was running means nothing to a user.
    if (e.sqlstate().empty()) {
      std::cerr << "examq " << name << ": " << printable_lines(e.what()) << "\n";
    } else {
      std::cerr << "examq " << name << ": " << printable_lines(e.primary()) << " [" << printable(e.sqlstate()) << "]\n";
    }
    if (!e.hint().empty()) std::cerr << "hint: " << printable_lines(e.hint()) << "\n";
    if (e.connection_lost()) std::cerr << "hint: " << kConnectionHint << "\n";
    return kExitFailure;
  } catch (const std::invalid_argument& e) {
    return fail(e.what(), kExitUsage);
  } catch (const std::exception& e) {
    return fail(e.what(), kExitFailure);
  }
}

int run_reporting(const std::string& name, const std::function<int()>& body) { return run_reporting(name, false, body); }

int report_usage_error(const std::string& name, const std::string& message, bool json) {
  const std::string command = name.empty() ? "examq" : "examq " + name;
  if (json) {
    print_json_line(std::cerr, error_json(name, message, kExitUsage, "`" + command + " --help` shows the usage"));
  } else {
    std::cerr << command << ": " << printable_lines(message) << "\n"
              << "Run `" << command << " --help` for the usage.\n";
  }
  return kExitUsage;
}

CLI::Validator uuid_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        static const std::regex uuid("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
        if (std::regex_match(value, uuid)) return {};
        return "not a UUID: " + value;
      },
      "UUID", "uuid");
}

}  // namespace examq::cli
