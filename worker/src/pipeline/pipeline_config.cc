#include "pipeline/pipeline_config.h"
#include "pdf/sandbox.h"

#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace examq::pipeline {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

long env_number(const char* name, long fallback, long min, long max) {
  const char* v = env(name);
  if (v == nullptr) return fallback;
  std::string_view text(v);
  long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < min || n > max) {
    throw std::invalid_argument(std::string(name) + "=" + v + ": expected a whole number from " +
                                std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

util::Duration env_duration(const char* name, util::Duration fallback) {
  const char* v = env(name);
  if (v == nullptr) return fallback;
  try {
    return util::parse_duration(v);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(name) + ": " + e.what());
  }
}

}  // namespace

PipelineConfig PipelineConfig::from_env() {
  PipelineConfig c;
  c.render.dpi = static_cast<double>(env_number("EXAMQ_RENDER_DPI", 150, 36, 600));
  c.render.jpeg_quality = static_cast<int>(env_number("EXAMQ_JPEG_QUALITY", 85, 1, 100));
  c.render.limits.max_pages = static_cast<int>(env_number("EXAMQ_MAX_PAGES", 200, 1, 5000));
  c.render.limits.max_bytes =
      static_cast<std::size_t>(env_number("EXAMQ_MAX_PDF_MB", 50, 1, 2048)) << 20;
  auto timeout = env_duration("EXAMQ_RENDER_TIMEOUT", std::chrono::seconds(60));
  if (timeout < std::chrono::seconds(1)) throw std::invalid_argument("EXAMQ_RENDER_TIMEOUT: at least 1s");
  c.render.sandbox.timeout = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  // The wall-clock backstop for a child that hangs without using CPU (render_options.h).
  const auto wall = env_duration("EXAMQ_RENDER_WALL_TIMEOUT", pdf::wall_timeout(c.render.sandbox));
  if (wall < c.render.sandbox.timeout) {
    throw std::invalid_argument("EXAMQ_RENDER_WALL_TIMEOUT: at least EXAMQ_RENDER_TIMEOUT (" +
                                std::to_string(c.render.sandbox.timeout.count()) + "s)");
  }
  c.render.sandbox.wall_timeout = std::chrono::duration_cast<std::chrono::seconds>(wall);
  c.render.sandbox.memory_bytes =
      static_cast<std::size_t>(env_number("EXAMQ_RENDER_MEMORY_MB", 1024, 64, 65536)) << 20;
  c.render.max_processes = static_cast<int>(env_number("EXAMQ_RENDER_PROCESSES", 0, 0, 256));
  if (const char* e = env("EXAMQ_EXTRACTOR")) c.extractor = e;
  if (c.extractor != "text" && c.extractor != "openai" && c.extractor != "anthropic") {
    throw std::invalid_argument("EXAMQ_EXTRACTOR=" + c.extractor + ": expected text, openai or anthropic");
  }
  c.fetch_timeout = env_duration("EXAMQ_FETCH_TIMEOUT", std::chrono::seconds(60));
  if (const char* r = env("EXAMQ_FILE_URL_ROOT")) c.file_url_root = r;
  if (const char* a = env("EXAMQ_FETCH_ALLOW")) c.fetch_allow = AddressPolicy::parse(a);  // names the variable
  c.store_pages = env_number("EXAMQ_STORE_PAGES", 1, 0, 1) == 1;
  if (const char* m = env("EXAMQ_OCR")) {
    const std::string_view mode = m;
    if (mode == "off") c.render.ocr.mode = pdf::OcrMode::off;
    else if (mode == "auto") c.render.ocr.mode = pdf::OcrMode::automatic;
    else if (mode == "always") c.render.ocr.mode = pdf::OcrMode::always;
    else throw std::invalid_argument(std::string("EXAMQ_OCR=") + m + ": expected off, auto or always");
  }
  if (const char* l = env("EXAMQ_OCR_LANGUAGES")) c.render.ocr.languages = l;
  c.render.ocr.dpi = static_cast<double>(env_number("EXAMQ_OCR_DPI", 300, 100, 600));
  if (const char* d = env("EXAMQ_OCR_TESSDATA")) c.render.ocr.tessdata_dir = d;
  c.render.ocr.detect_orientation = env_number("EXAMQ_OCR_ORIENTATION", 1, 0, 1) == 1;
  return c;
}

}  // namespace examq::pipeline
