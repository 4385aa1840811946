#pragma once

// Shrinking an untrusted JPEG (an app-supplied page image past an AI provider's limits) in a
// sandboxed examq-render child (`fit-image` mode), never in the calling process: the worker does
// not link a JPEG decoder. The child has the renderer's restrictions (child_sandbox.h: rlimits,
// no core dumps, dies with its parent; sandbox.h: only the channel and the sealed input) and
// refuses an image declaring more than kMaxImagePixels before it decodes anything.
//
// One child per image, kept for the image's shrink requests (a byte limit may need a second,
// smaller try); it counts against the render process budget (process_budget.h).

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "pdf/pdf_error.h"
#include "pdf/render_options.h"

namespace examq::pdf {

// A JPEG declaring more pixels than this is refused unread (a decompression bomb): 100 Mpixels,
// e.g. an A4 page scanned at 1000 DPI. Decoding scales by up to 1/8, so memory is bounded by
// the target size, but a full-size decode's CPU time is not.
constexpr long long kMaxImagePixels = 100'000'000;

class SealedPdf;
class SandboxedChild;
class BudgetToken;

class SandboxedJpeg {
 public:
  // Starts the child with the JPEG. Throws PdfError(sandbox_unavailable) when it cannot start.
  SandboxedJpeg(std::string_view jpeg, const SandboxOptions& options, int quality = 85);
  ~SandboxedJpeg();  // kills and reaps the child
  SandboxedJpeg(const SandboxedJpeg&) = delete;
  SandboxedJpeg& operator=(const SandboxedJpeg&) = delete;

  // The image at exactly width x height (each 1..65535, not above the JPEG's own size). Throws
  // PdfError: image_unreadable (a corrupt JPEG, or one over kMaxImagePixels), renderer_crashed /
  // _timed_out / _out_of_memory / _cpu_limit (a child killed by a limit: critical, like a
  // render child's), renderer_hung (the wall-clock backstop, not critical), renderer_failed (a
  // malformed reply). The time limits are a render request's (RequestClock, sandbox.h).
  std::string shrink(int width, int height);

 private:
  const SandboxOptions options_;
  std::unique_ptr<BudgetToken> token_;  // given back after the child is reaped
  std::unique_ptr<SealedPdf> sealed_;
  std::unique_ptr<SandboxedChild> child_;
};

// The options image children are started with (default: SandboxOptions' defaults, the helper
// found as helper_locator.h says). The worker sets its render sandbox's (EXAMQ_RENDER_TIMEOUT,
// EXAMQ_RENDER_MEMORY_MB) at start-up.
void set_image_sandbox_options(const SandboxOptions& options);
SandboxOptions image_sandbox_options();

// Image children started by this process so far (a test's proof that the shrink happened in one).
long image_children_started();

}  // namespace examq::pdf
