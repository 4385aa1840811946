#include "util/log.h"

#include "util/stderr_sink.h"

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace examq::util {
namespace {

// A structured event's payload starts with this byte so the JSON formatter can tell it from a
// plain message; the rest is already rendered as `"key":value` pairs.
constexpr char kStructuredMarker = '\x1e';

LogFormat g_format = LogFormat::text;
std::vector<std::pair<std::string, std::string>> g_context;

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

void append_utc_timestamp(std::string& out, spdlog::log_clock::time_point tp) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<long long>(micros % 1000000));
  out.append(buf, static_cast<std::size_t>(n));
}

// The level in text lines by the names --log-level takes and JSON lines print ("warn", not
// spdlog's own "warning"), so one grep finds a level in either format.
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string_view name = level_name(msg.level);
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<LevelFlag>(); }
};

// {"time":"...","level":"info","event":"job.claimed",...} for structured events and
// {"time":"...","level":"info","msg":"..."} for plain messages.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(msg.payload.size() + 64);
    line += "{\"time\":\"";
    append_utc_timestamp(line, msg.time);
    line += "\",\"level\":\"";
    line += level_name(msg.level);
    line += "\",";
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!payload.empty() && payload.front() == kStructuredMarker) {
      line.append(payload.substr(1));
    } else {
      line += "\"msg\":\"";
      append_json_escaped(line, payload);
      line += '"';
      for (const auto& [key, value] : g_context) {
        line += ",\"";
        append_json_escaped(line, key);
        line += "\":\"";
        append_json_escaped(line, value);
        line += '"';
      }
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void append_text_value(std::string& out, const std::string& value, bool quoted) {
  if (!quoted || !needs_quotes(value)) {
    out += value;
    return;
  }
  out += '"';
  append_json_escaped(out, value);
  out += '"';
}

void append_json_field(std::string& out, std::string_view key, const std::string& value, bool quoted) {
  out += '"';
  append_json_escaped(out, key);
  out += "\":";
  if (quoted) {
    out += '"';
    append_json_escaped(out, value);
    out += '"';
  } else {
    out += value;
  }
}

}  // namespace

LogField::LogField(std::string_view key, double value) : key_(key), quoted_(false) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.3f", value);
  value_.assign(buf, static_cast<std::size_t>(n));
}

LogFormat parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::text;
  if (name == "json") return LogFormat::json;
  throw std::invalid_argument("invalid log format \"" + std::string(name) + "\" (use text or json)");
}

spdlog::level::level_enum parse_log_level(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn" || name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "critical") return spdlog::level::critical;
  if (name == "off") return spdlog::level::off;
  throw std::invalid_argument("invalid log level \"" + std::string(name) +
                              "\" (use trace, debug, info, warn, error, critical or off)");
}

void init_logging(spdlog::level::level_enum level, LogFormat format, spdlog::sink_ptr sink) {
  g_format = format;
  if (!sink) sink = std::make_shared<StderrSink>();
  if (format == LogFormat::json) {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    auto text = std::make_unique<spdlog::pattern_formatter>();
    text->add_flag<LevelFlag>('*').set_pattern("%Y-%m-%d %H:%M:%S.%f %* %v");
    sink->set_formatter(std::move(text));
  }
  auto logger = std::make_shared<spdlog::logger>("examq", std::move(sink));
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

void set_log_context(std::string key, std::string value) {
  for (auto& [k, v] : g_context) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  g_context.emplace_back(std::move(key), std::move(value));
}

void log_event(spdlog::level::level_enum level, std::string_view event, std::initializer_list<LogField> fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  std::string line;
  line.reserve(128);
  if (g_format == LogFormat::json) {
    line += kStructuredMarker;
    line += "\"event\":\"";
    append_json_escaped(line, event);
    line += '"';
    for (const LogField& f : fields) {
      line += ',';
      append_json_field(line, f.key(), f.value(), f.quoted());
    }
    for (const auto& [key, value] : g_context) {
      line += ',';
      append_json_field(line, key, value, true);
    }
  } else {
    line += event;
    for (const LogField& f : fields) {
      line += ' ';
      line += f.key();
      line += '=';
      append_text_value(line, f.value(), f.quoted());
    }
    for (const auto& [key, value] : g_context) {
      line += ' ';
      line += key;
      line += '=';
      append_text_value(line, value, true);
    }
  }
  logger->log(level, spdlog::string_view_t(line.data(), line.size()));
}

void append_json_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

}  // namespace examq::util
