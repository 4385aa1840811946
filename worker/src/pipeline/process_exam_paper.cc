#include "pipeline/process_exam_paper.h"

#include "ai/ai_config.h"
#include "ai/job_failure.h"
#include "extract/paper_review.h"
#include "extract/text_extractor.h"
#include "metrics/registry.h"
#include "pdf/image_sandbox.h"
#include "pdf/ocr_check.h"
#include "pdf/render_pool.h"
#include "pg/error.h"
#include "pg/transaction.h"
#include "pipeline/base64.h"
#include "pipeline/bytea.h"
#include "pipeline/pdf_source.h"
#include "pipeline/questions_json.h"
#include "pipeline/review_json.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <optional>
#include <stop_token>
#include <thread>

namespace examq::pipeline {
namespace {

using handlers::JobError;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kConverting = "Converting PDF to images";
constexpr std::string_view kAnalyzing = "Analyzing exam paper with AI";
constexpr std::string_view kFinalizing = "Finalizing";

const pg::Statement kSavePage{
    "examq_save_page_v4",
    "SELECT save_exam_paper_page($1::uuid, $2::int, $3::int, $4::int, $5::int, $6::bytea, $7, $8::int)"};
const pg::Statement kSetMetadata{
    "examq_set_metadata_v4", "SELECT set_exam_paper_metadata($1::uuid, $2::int, $3::jsonb, $4, $5::int)"};
const pg::Statement kReplaceQuestions{
    "examq_replace_questions_v4", "SELECT replace_exam_paper_questions($1::uuid, $2::jsonb, $3, $4::int)"};
const pg::Statement kLoadPages{
    "examq_load_pages",
    "SELECT page_number, width, height, jpeg FROM exam_paper_pages WHERE exam_paper_id = $1::uuid ORDER BY page_number"};
const pg::Statement kTopics{
    "examq_topics",
    "SELECT id, coalesce(code, ''), title FROM syllabus_topics WHERE syllabus_id = $1::uuid ORDER BY position, code, title"};
const pg::Statement kStoredPages{
    "examq_stored_pages",
    "SELECT (SELECT count(*) FROM exam_paper_pages WHERE exam_paper_id = $1::uuid)::int,"
    "       (SELECT page_count FROM exam_papers WHERE id = $1::uuid)"};

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Width and height of a baseline or progressive JPEG from its SOF marker; {0, 0} if not found.
std::pair<int, int> jpeg_size(std::string_view b) {
  std::size_t i = 2;
  while (i + 9 < b.size()) {
    if (static_cast<unsigned char>(b[i]) != 0xff) return {0, 0};
    unsigned char marker = static_cast<unsigned char>(b[i + 1]);
    std::size_t len = (static_cast<unsigned char>(b[i + 2]) << 8) | static_cast<unsigned char>(b[i + 3]);
    bool sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (sof) {
      int h = (static_cast<unsigned char>(b[i + 5]) << 8) | static_cast<unsigned char>(b[i + 6]);
      int w = (static_cast<unsigned char>(b[i + 7]) << 8) | static_cast<unsigned char>(b[i + 8]);
      return {w, h};
    }
    i += 2 + len;
  }
  return {0, 0};
}

// The pre-rendered images of the payload, if it has any. Throws a critical JobError when they
// are malformed: the same payload would fail again.
std::optional<std::vector<std::string>> payload_images(const tao::json::value& payload) {
  const tao::json::value* images = nullptr;
  if (payload.is_object()) {
    images = payload.find("base64_images");
    if (images == nullptr) images = payload.find("base64Images");
  }
  if (images == nullptr || images->is_null()) return std::nullopt;
  if (!images->is_array() || images->get_array().empty()) {
    throw JobError("payload base64_images must be a non-empty array of base64 strings", true);
  }
  std::vector<std::string> decoded;
  int n = 0;
  for (const auto& image : images->get_array()) {
    ++n;
    if (!image.is_string()) throw JobError("page image " + std::to_string(n) + " is not a string", true);
    auto bytes = decode_base64_image(image.get_string());
    if (!bytes || bytes->empty()) throw JobError("page image " + std::to_string(n) + " is not valid base64", true);
    if (image_format(*bytes).empty()) {
      throw JobError("page image " + std::to_string(n) + " is neither JPEG nor PNG", true);
    }
    decoded.push_back(std::move(*bytes));
  }
  return decoded;
}

// A database failure while the job runs: lost lease means the job is not ours any more.
[[noreturn]] void rethrow_db(const pg::Error& e, std::string_view doing) {
  if (e.job_not_held() || e.not_found()) throw handlers::JobAbandoned();
  throw JobError(std::string(doing) + ": " + e.what(), false,
                 tao::json::value{{"sqlstate", e.sqlstate()}});
}

tao::json::value document_json(const pdf::DocumentInfo& info) {
  tao::json::value doc = {
      {"title", info.title},
      {"producer", info.producer},
      {"pdf_version", info.pdf_version},
      {"page_count", info.page_count},
      {"metadata_source", info.source == pdf::DocumentInfo::Source::podofo ? "podofo" : "poppler"},
  };
  if (!info.podofo_error.empty()) doc["podofo_error"] = info.podofo_error;
  return doc;
}

}  // namespace

ProcessExamPaperHandler::ProcessExamPaperHandler(PipelineConfig config, std::unique_ptr<ai::AiExtractor> ai)
    : config_(std::move(config)), text_extractor_(std::make_unique<extract::TextExtractor>()), ai_(std::move(ai)) {
  // Page images past a provider's limits are shrunk in children with the renderer's limits
  // (EXAMQ_RENDER_TIMEOUT, EXAMQ_RENDER_MEMORY_MB, the same helper).
  pdf::set_image_sandbox_options(config_.render.sandbox);
}

handlers::JobOutcome ProcessExamPaperHandler::run(handlers::JobContext& ctx) {
  const auto started = Clock::now();
  const handlers::Job& job = ctx.job();
  if (!job.exam_paper_id) {
    throw JobError("process-exam-paper needs an exam_paper_id", true);
  }
  const std::string paper = *job.exam_paper_id;
  tao::json::value warnings = tao::json::empty_array;

  // Progress never goes back: OCR pages take the analysis band during rendering (below), and the
  // segmentation after them must not restart it at 10.
  int progress_reached = 0;
  auto advance = [&](int percentage, std::string_view step) {
    progress_reached = std::max(progress_reached, percentage);
    ctx.progress(progress_reached, step);
  };
  advance(5, kConverting);
  auto images = payload_images(job.payload);

  // ---- fetch
  const auto fetch_started = Clock::now();
  std::optional<PaperPdf> pdf;
  int stored_pages = 0;
  std::optional<int> known_page_count;
  try {
    auto db = ctx.database();
    FetchLimits limits{config_.render.limits.max_bytes, config_.fetch_timeout, config_.file_url_root,
                       config_.fetch_allow};
    pdf = load_paper_pdf(*db, paper, limits);
    auto r = db->exec(kStoredPages, paper);
    stored_pages = r.get<int>(0, 0);
    known_page_count = r.get<std::optional<int>>(0, 1);
  } catch (const FetchError& e) {
    throw JobError(e.what(), !e.transient());
  } catch (const pg::Error& e) {
    rethrow_db(e, "reading the exam paper");
  } catch (const std::invalid_argument& e) {
    throw JobError(std::string("reading the exam paper: ") + e.what(), false);
  } catch (const handlers::JobCancelled&) {
    throw;
  } catch (const handlers::JobAbandoned&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw JobError(e.what(), true);  // the paper does not exist
  }
  const long long fetch_ms = ms_since(fetch_started);
  if (!pdf && !images) {
    throw JobError("exam paper has no PDF: no exam_paper_files row and no file_url", true);
  }
  ctx.check_cancelled();

  // ---- render (or only read the text layer when the pages are already stored or given)
  const auto render_started = Clock::now();
  pdf::RenderOptions options = config_.render;
  const bool reuse_stored = config_.store_pages && !images && known_page_count && *known_page_count > 0 &&
                            stored_pages == *known_page_count;
  options.render_images = !images && !reuse_stored;
  // The AI reads images, not words: with the pages already stored (or given) it needs no PDF.
  const bool need_pdf = ai_ ? options.render_images : true;
  pdf::RenderedDocument rendered;
  if (pdf && need_pdf) {
    // Rendering is quick, so it owns 5..10. Once a page needed OCR, reading the pages is the
    // slow part of the job: the pages go on counting into the analysis band (10..85), and the
    // segmentation that follows only finishes it.
    auto on_page = [&](int done, int total, int ocr_pages) {
      if (ocr_pages > 0) {
        advance(10 + (total > 0 ? 75 * done / total : 0), kAnalyzing);
      } else {
        advance(5 + (total > 0 ? 5 * done / total : 0), kConverting);
      }
    };
    auto stop = [&] { return ctx.cancelled() || Clock::now() > ctx.deadline(); };
    try {
      rendered = pdf::render_pdf(pdf->bytes, options, on_page, stop);
    } catch (const pdf::PdfError& e) {
      if (e.kind() == pdf::PdfErrorKind::cancelled) {
        ctx.check_cancelled();
        throw JobError("stopped: the worker is shutting down", false);
      }
      throw JobError(e.what(), e.critical(), tao::json::value{{"kind", pdf::to_string(e.kind())}});
    }
    pdf->bytes.clear();
    pdf->bytes.shrink_to_fit();
    metrics::Registry& metrics = metrics::registry();
    for (const pdf::RenderedPage& page : rendered.pages) {
      metrics.render_page_seconds.observe(page.render_seconds);
      if (page.text.source == pdf::TextSource::ocr) metrics.ocr_page_seconds.observe(page.ocr_seconds);
    }
  }
  const long long render_ms = ms_since(render_started);
  const int page_count = images                     ? static_cast<int>(images->size())
                         : (pdf && need_pdf)        ? rendered.info.page_count
                                                    : known_page_count.value_or(0);

  // ---- keep metadata and pages, in one transaction, before the slow part
  try {
    auto db = ctx.database();
    pg::Transaction tx(*db);
    tao::json::value meta = (pdf && need_pdf) ? document_json(rendered.info) : tao::json::value(tao::json::null);
    db->exec(kSetMetadata, job.id, page_count, meta, ctx.worker_id(), job.attempt);
    if (config_.store_pages && images) {
      int n = 0;
      for (const auto& bytes : *images) {
        ++n;
        if (image_format(bytes) != "jpeg") continue;  // exam_paper_pages holds JPEG only
        auto [w, h] = jpeg_size(bytes);
        if (w <= 0 || h <= 0) continue;
        db->exec(kSavePage, job.id, n, w, h, std::nullopt, to_bytea_hex(bytes), ctx.worker_id(), job.attempt);
      }
    } else if (config_.store_pages && options.render_images) {
      for (const auto& page : rendered.pages) {
        if (page.jpeg.empty()) continue;
        db->exec(kSavePage, job.id, page.page_number, page.width, page.height, static_cast<int>(page.dpi),
                 to_bytea_hex(page.jpeg), ctx.worker_id(), job.attempt);
      }
    }
    tx.commit();
  } catch (const pg::Error& e) {
    rethrow_db(e, "saving the rendered pages");
  }
  advance(10, kAnalyzing);

  // ---- extract
  const auto extract_started = Clock::now();
  std::stop_source stop;
  std::exception_ptr progress_error;
  auto on_progress = [&](int done, int total) {
    if (progress_error) return;
    try {
      advance(10 + (total > 0 ? 80 * done / total : 0), kAnalyzing);
    } catch (...) {  // stop the extractor and rethrow once it has returned
      progress_error = std::current_exception();
      stop.request_stop();
    }
  };
  tao::json::value questions_json;
  tao::json::value ai_usage;
  std::size_t question_count = 0;
  // The paper checked against itself (paper_review.h), on whatever words this job read.
  extract::PaperReview review;
  try {
    if (ai_) {
      std::vector<ai::PageImage> page_images;
      std::vector<ai::Topic> topics;
      {
        auto db = ctx.database();
        if (images) {
          int n = 0;
          for (auto& bytes : *images) {
            ++n;
            if (image_format(bytes) != "jpeg") {
              throw JobError("page image " + std::to_string(n) + " is PNG; the AI extractors take JPEG images", true);
            }
            auto [w, h] = jpeg_size(bytes);
            page_images.push_back({n, w, h, std::move(bytes)});
          }
        } else if (options.render_images) {
          for (auto& page : rendered.pages) {
            page_images.push_back({page.page_number, page.width, page.height, std::move(page.jpeg)});
          }
        } else {
          auto r = db->exec(kLoadPages, paper);
          for (int i = 0; i < r.rows(); ++i) {
            page_images.push_back({r.get<int>(i, 0), r.get<int>(i, 1), r.get<int>(i, 2), from_bytea_hex(r.text(i, 3))});
          }
        }
        if (job.payload.is_object() && job.payload.find("syllabus_id") != nullptr &&
            job.payload.at("syllabus_id").is_string()) {
          auto r = db->exec(kTopics, job.payload.at("syllabus_id").get_string());
          for (int i = 0; i < r.rows(); ++i) {
            topics.push_back({r.get<std::string>(i, 0), r.get<std::string>(i, 1), r.get<std::string>(i, 2)});
          }
        }
      }
      // A request can take a minute without a progress call: watch for cancellation meanwhile.
      std::jthread watch([&](std::stop_token done) {
        while (!done.stop_requested() && !stop.stop_requested()) {
          if (ctx.cancelled()) stop.request_stop();
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      });
      ai::AiResult r = ai_->extract(page_images, topics, on_progress, stop.get_token(), ctx.deadline());
      watch.request_stop();
      question_count = r.questions.size();
      questions_json = ai::questions_to_json(r.questions);
      ai_usage = ai::to_json(r.usage);
      // Rendered pages still hold their text layer (only the JPEG went to the model): enough for
      // the stated total and the page checks. Stored or given images have no words.
      std::vector<pdf::PageText> texts;
      for (auto& page : rendered.pages) texts.push_back(std::move(page.text));
      std::vector<extract::Question> rows;
      rows.reserve(r.questions.size());
      for (const auto& q : r.questions) rows.push_back(q.question);
      review = extract::review_paper(texts, rows);
      if (r.usage.rows_dropped > 0) {
        std::string message = std::to_string(r.usage.rows_dropped) + " row" + (r.usage.rows_dropped == 1 ? "" : "s") +
                              " of the model's answer stayed invalid after a re-ask and were left out (" +
                              r.usage.dropped_rows.front().reason + (r.usage.rows_dropped > 1 ? ", ..." : "") + ")";
        review.needed = true;
        review.reasons.emplace_back(extract::review_reason::ai_rows_dropped);
        review.details.push_back({std::string(extract::review_reason::ai_rows_dropped), std::move(message)});
      }
    } else {
      std::vector<pdf::PageText> texts;
      texts.reserve(rendered.pages.size());
      for (auto& page : rendered.pages) {
        if (!page.text.ocr_error.empty()) {
          warnings.get_array().push_back("page " + std::to_string(page.page_number) +
                                         " could not be read by OCR: " + page.text.ocr_error);
        }
        texts.push_back(std::move(page.text));
      }
      if (texts.empty() && images) {
        warnings.get_array().push_back(
            "the page images have no text layer and the paper has no PDF; the text extractor needs one");
      }
      auto questions = text_extractor_->extract(texts, on_progress, stop.get_token());
      question_count = questions.size();
      questions_json = questions_to_json(questions);
      review = extract::review_paper(texts, questions);
    }
  } catch (const extract::Cancelled&) {
    if (progress_error) std::rethrow_exception(progress_error);
    ctx.check_cancelled();
    throw JobError("extraction stopped: the worker is shutting down", false);
  } catch (const ai::RateLimited& e) {
    ai::snooze_or_fail(e, job, ai_->config());
  } catch (const ai::AiError& e) {
    throw ai::job_error(e, job);
  } catch (const extract::ExtractError& e) {
    throw JobError(e.what(), !e.transient());
  } catch (const pg::Error& e) {
    rethrow_db(e, "reading stored pages");
  }
  if (progress_error) std::rethrow_exception(progress_error);
  rendered.pages.clear();
  const long long extract_ms = ms_since(extract_started);
  if (question_count == 0) warnings.get_array().push_back("no questions were recognised in this paper");

  advance(90, kFinalizing);
  tao::json::value result = {
      {"questions", static_cast<int64_t>(question_count)},
      {"pages", page_count},
      {"extractor", std::string(ai_ ? ai_->name() : text_extractor_->name())},
      {"source", pdf ? pdf->origin : std::string("base64_images")},
      {"pages_rendered", options.render_images},
      {"render_processes", rendered.stats.processes},
      {"ocr_pages", rendered.stats.ocr_pages},
      {"timings_ms",
       {{"fetch", fetch_ms}, {"render", render_ms}, {"extract", extract_ms}, {"total", ms_since(started)}}},
  };
  if (pdf && need_pdf) result["document"] = document_json(rendered.info);
  if (ai_) result["ai"] = ai_usage;
  result["review"] = review_to_json(review);
  if (!warnings.get_array().empty()) result["warnings"] = warnings;

  handlers::JobOutcome outcome;
  outcome.result = std::move(result);
  outcome.in_completion = [json = std::move(questions_json), job_id = job.id, attempt = job.attempt,
                           worker = ctx.worker_id()](pg::Connection& c) {
    c.exec(kReplaceQuestions, job_id, json, worker, attempt);
  };
  return outcome;
}

void register_pipeline_handlers(handlers::Registry& registry, bool run) {
  PipelineConfig config = PipelineConfig::from_env();
  std::optional<ai::AiConfig> ai_config = ai::ai_config_from_env();
  if (!run) {
    registry.add_not_run("process-exam-paper");
    return;
  }
  std::unique_ptr<ai::AiExtractor> ai;
  if (ai_config) ai = ai::make_ai_extractor(*ai_config);
  // The AI extractors read page images, not words: only the embedded extractor needs OCR.
  if (ai) {
    config.render.ocr.mode = pdf::OcrMode::off;
  } else {
    pdf::check_ocr_available(config.render);
  }
  registry.add("process-exam-paper", std::make_unique<ProcessExamPaperHandler>(std::move(config), std::move(ai)));
}

}  // namespace examq::pipeline
