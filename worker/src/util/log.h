#pragma once
// Structured logging on top of spdlog: one line per event, as `text` for people or `json`
// (one object per line) for log collectors. Events are named ("job.claimed") and carry
// key/value fields; process-wide context fields (worker_id) are added to every event.

#include <spdlog/spdlog.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace examq::util {

enum class LogFormat { text, json };

// "text" or "json"; throws std::invalid_argument otherwise.
LogFormat parse_log_format(std::string_view name);
// trace, debug, info, warn (or warning), error, critical, off; throws std::invalid_argument.
spdlog::level::level_enum parse_log_level(std::string_view name);

// Points spdlog's default logger at `sink` (stderr when null) with the given level and format.
// Plain spdlog::info("...") calls from any part keep working and are rendered in the same
// format. Call before starting threads.
void init_logging(spdlog::level::level_enum level, LogFormat format, spdlog::sink_ptr sink = nullptr);

// Adds a field to every later event, e.g. set_log_context("worker_id", "host:123").
// Call before starting threads.
void set_log_context(std::string key, std::string value);

// One field of an event. Strings are quoted as needed; numbers and booleans are not.
class LogField {
 public:
  LogField(std::string_view key, std::string_view value) : key_(key), value_(value), quoted_(true) {}
  LogField(std::string_view key, const std::string& value) : LogField(key, std::string_view(value)) {}
  LogField(std::string_view key, const char* value) : LogField(key, std::string_view(value)) {}
  LogField(std::string_view key, std::int64_t value) : key_(key), value_(std::to_string(value)), quoted_(false) {}
  LogField(std::string_view key, int value) : LogField(key, static_cast<std::int64_t>(value)) {}
  LogField(std::string_view key, std::size_t value) : LogField(key, static_cast<std::int64_t>(value)) {}
  LogField(std::string_view key, double value);
  LogField(std::string_view key, bool value) : key_(key), value_(value ? "true" : "false"), quoted_(false) {}

  std::string_view key() const { return key_; }
  const std::string& value() const { return value_; }
  bool quoted() const { return quoted_; }

 private:
  std::string_view key_;
  std::string value_;
  bool quoted_;
};

// Logs `event` with its fields at `level` (cheap no-op when the level is disabled).
void log_event(spdlog::level::level_enum level, std::string_view event,
               std::initializer_list<LogField> fields = {});

// Appends s to out as the inside of a JSON string (quotes, backslashes, control characters).
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace examq::util
