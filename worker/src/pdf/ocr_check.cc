#include "pdf/ocr_check.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pdf/helper_locator.h"
#include "pdf/sandbox.h"
#include "pdf/wire_format.h"

namespace examq::pdf {

void check_ocr_available(const RenderOptions& options) {
  if (options.ocr.mode == OcrMode::off || !options.extract_words) return;
  const std::string helper = locate_render_helper(options.sandbox.helper_path);
  const std::vector<std::string> arguments = {
      "ocr-check",
      "--memory=" + std::to_string(options.sandbox.memory_bytes),
      "--cpu=" + std::to_string(cpu_seconds_per_request(options.sandbox)),
      "--ocr-languages=" + options.ocr.languages,
      std::string("--ocr-orientation=") + (options.ocr.detect_orientation ? "1" : "0"),
      "--tessdata=" + options.ocr.tessdata_dir};
  // The child reads no PDF, but the sandbox always hands one over.
  const SealedPdf nothing("%PDF-");
  SandboxedChild child(helper, arguments, nothing);

  RequestClock clock(options.sandbox);  // as a render request's: CPU time, wall backstop
  clock.start(child.pid());
  wire::FrameReader reader;
  try {
    for (;;) {
      if (std::optional<wire::Frame> frame = reader.next()) {
        if (frame->type == wire::FrameType::ocr_ready) return;
        if (frame->type == wire::FrameType::error) {
          throw PdfError(PdfErrorKind::ocr_unavailable, wire::decode_error(frame->payload).message);
        }
        throw PdfError(PdfErrorKind::ocr_unavailable, "OCR check: unexpected reply from the helper");
      }
      if (child.channel_fd() < 0) {
        child.wait();
        child.read_diagnostics();
        throw PdfError(PdfErrorKind::ocr_unavailable,
                       std::string("OCR check failed: ") + describe_child_exit(child, options.sandbox, "OCR").what());
      }
      if (clock.check() != RequestClock::State::running) {
        child.kill();
        throw PdfError(PdfErrorKind::ocr_unavailable, std::string("OCR check: Tesseract did not load its languages: ") +
                                                          clock.error("OCR").what());
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(clock.next_check() - std::chrono::steady_clock::now());
      pollfd fds[2] = {{child.channel_fd(), POLLIN, 0}, {child.diagnostics_fd(), POLLIN, 0}};
      poll(fds, child.diagnostics_fd() >= 0 ? 2 : 1, static_cast<int>(std::max<long long>(0, left.count())) + 1);
      if (fds[1].revents) child.read_diagnostics();
      if (fds[0].revents) child.read_channel(reader);
    }
  } catch (const wire::WireError& e) {
    throw PdfError(PdfErrorKind::ocr_unavailable, std::string("OCR check: malformed reply: ") + e.what());
  }
}

}  // namespace examq::pdf
