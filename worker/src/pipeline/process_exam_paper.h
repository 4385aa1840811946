#pragma once
// The `process-exam-paper` job type: an uploaded exam paper's PDF becomes saved questions.
//
// Steps and progress (as the seed's JobStatusTracker lists them):
//   Converting PDF to images (5..10)  fetch the PDF (exam_paper_files, else file_url), validate
//                                     and render it in the sandbox (pdf part); save metadata and
//                                     page images (exam_paper_pages) at once, so a retry only
//                                     re-reads the text layer instead of rendering again;
//   Analyzing exam paper with AI (10..90, page by page)  the configured extractor: "text" on the
//                                     words of the text layer, or an AI backend on the page
//                                     images (a provider that keeps rate-limiting snoozes the job
//                                     without using a retry);
//   Finalizing (90)                   the questions replace the paper's old ones in the same
//                                     transaction that completes the job;
//   Completed (100)                   set by complete_processing_job.
// A job created with pre-rendered page images (payload base64_images / base64Images) skips
// rendering: JPEG images are stored as the pages, and the PDF, when the paper has one, is only
// read for its text layer.
//
// Failures: a bad PDF (empty, not a PDF, password-protected, too large, too many pages, or one
// that crashes, hangs or exhausts the renderer) fails the job as critical with the renderer's
// sentence; database trouble and unreachable URLs are transient (retried). A paper in which no
// question was recognised completes with "questions": 0 and a warning in the result.

#include "ai/ai_extractor.h"
#include "extract/extractor.h"
#include "handlers/handler.h"
#include "handlers/registry.h"
#include "pipeline/pipeline_config.h"

#include <memory>

namespace examq::pipeline {

class ProcessExamPaperHandler final : public handlers::Handler {
 public:
  // With `ai` set, questions are read from the page images by that AI backend (one per worker
  // process: it holds the worker-wide request limit, connections and answer cache); otherwise
  // by the embedded text extractor.
  ProcessExamPaperHandler(PipelineConfig config, std::unique_ptr<ai::AiExtractor> ai);
  handlers::JobOutcome run(handlers::JobContext& ctx) override;

 private:
  const PipelineConfig config_;
  std::unique_ptr<extract::Extractor> text_extractor_;
  std::unique_ptr<ai::AiExtractor> ai_;
};

// Reads process-exam-paper's settings from the environment (PipelineConfig::from_env and, for
// EXAMQ_EXTRACTOR=openai|anthropic, ai::ai_config_from_env) and throws std::invalid_argument
// naming the variable when one is wrong, whether or not this worker runs the type: a bad setting
// stops every worker at start, not the first one to claim a paper. With `run`, also checks that
// OCR can start (std::runtime_error, e.g. a language pack is missing) and registers the handler;
// without, registers only the name (Registry::add_not_run).
void register_pipeline_handlers(handlers::Registry& registry, bool run);

}  // namespace examq::pipeline
