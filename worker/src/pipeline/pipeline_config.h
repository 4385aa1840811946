#pragma once
// Settings of the process-exam-paper job type, from EXAMQ_* environment variables (the worker's
// flags set the same variables; see docs/configuration.md).

#include "pdf/render_options.h"
#include "pipeline/address_policy.h"
#include "util/duration.h"

#include <cstddef>
#include <string>

namespace examq::pipeline {

struct PipelineConfig {
  // Rendering: DPI, JPEG quality, page and size limits, sandbox limits, processes.
  pdf::RenderOptions render;
  // Which extractor reads the questions: "text" (embedded, no network), "openai" or
  // "anthropic" (page images to a vision model; their settings: ai/ai_config.h).
  std::string extractor = "text";
  // Fetching a paper's file_url.
  util::Duration fetch_timeout = std::chrono::seconds(60);
  // file:// URLs are refused unless they lie under this directory: a URL on a paper row must
  // not be a way to read arbitrary files of the worker's machine.
  std::string file_url_root;
  // http(s) file_urls reach public addresses only, plus these hosts and networks
  // (EXAMQ_FETCH_ALLOW; docs/url-fetching.md): a URL must not reach the worker's own machine,
  // its network or a cloud metadata service.
  AddressPolicy fetch_allow;
  // Keep rendered pages in exam_paper_pages (the app shows them; a retry reuses them).
  bool store_pages = true;

  // EXAMQ_RENDER_DPI, EXAMQ_JPEG_QUALITY, EXAMQ_MAX_PAGES, EXAMQ_MAX_PDF_MB,
  // EXAMQ_RENDER_TIMEOUT, EXAMQ_RENDER_WALL_TIMEOUT, EXAMQ_RENDER_MEMORY_MB, EXAMQ_RENDER_PROCESSES, EXAMQ_EXTRACTOR,
  // EXAMQ_FETCH_TIMEOUT, EXAMQ_FILE_URL_ROOT, EXAMQ_FETCH_ALLOW, EXAMQ_STORE_PAGES, and for scans EXAMQ_OCR
  // (off|auto|always), EXAMQ_OCR_LANGUAGES (eng), EXAMQ_OCR_DPI (300), EXAMQ_OCR_TESSDATA,
  // EXAMQ_OCR_ORIENTATION (1). Throws std::invalid_argument naming the variable for a bad value.
  static PipelineConfig from_env();
};

}  // namespace examq::pipeline
