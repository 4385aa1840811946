#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace examq::pdf {

// What a PDF may be before any work is done on it.
struct PdfLimits {
  std::size_t max_bytes = 50u << 20;  // 50 MB
  int max_pages = 200;
  // Reject files without `%PDF-` in their first 1024 bytes (Acrobat's rule) before any parsing.
  // Poppler would try them anyway; the corpus test turns this off to feed Poppler everything.
  bool require_header = true;
};

// A deliberate failure inside the sandboxed renderer, so tests can prove that a crash, a hang
// or a memory blow-up fails only the render call that hit it. Never set from job input.
enum class RenderFault { none, crash, hang, exhaust_memory };

// The helper's --fault= value for a fault (render_helper_main.cc reads it back).
inline const char* fault_name(RenderFault fault) {
  switch (fault) {
    case RenderFault::none: return "none";
    case RenderFault::crash: return "crash";
    case RenderFault::hang: return "hang";
    case RenderFault::exhaust_memory: return "oom";
  }
  return "none";
}

// How the untrusted PDF is handled by the child processes (see sandbox.h).
struct SandboxOptions {
  // A child is killed when one request (opening the document, or one page) has used this much
  // of its CPU time (user + system, all its threads, read from /proc by the parent): a 200-page
  // paper is not rushed, a page stuck in a loop is bounded, and a child that only waits for a
  // core on a loaded machine is not blamed for the wait. The PoDoFo metadata child has the same
  // bound; its failure only sets podofo_error.
  std::chrono::seconds timeout{60};
  // The wall-clock backstop for a child that hangs without using CPU (stopped, blocked, starved
  // for minutes): killed when one request has taken this long in wall time, whatever its CPU.
  // 0 means 5 x timeout.
  std::chrono::seconds wall_timeout{0};
  // Address-space limit (RLIMIT_AS) of each child.
  std::size_t memory_bytes = std::size_t{512} << 20;
  // CPU seconds one request may use (RLIMIT_CPU, re-armed by the child at the start of each
  // request); the kernel's backstop behind `timeout` (the same clock, counted by the parent)
  // for a child whose parent has gone. 0 means timeout + 10 s.
  int cpu_seconds_per_request = 0;
  // The helper executable; "" means $EXAMQ_RENDER_HELPER, else `examq-render` next to the
  // running executable (see helper_locator.h).
  std::string helper_path;
  // Test hook: make the child fail while rendering `fault_page` (1-based).
  RenderFault fault = RenderFault::none;
  int fault_page = 1;
};

// Reading scans: pages without a usable text layer (ocr_words.h) are recognised from an image
// rendered for the purpose, in the same sandboxed children, page by page.
enum class OcrMode {
  off,        // never: a scan yields no words
  automatic,  // pages whose text layer is unusable (the default)
  always,     // every page, ignoring any text layer (e.g. a scan with a bad hidden layer)
};

struct OcrOptions {
  OcrMode mode = OcrMode::automatic;
  std::string languages = "eng";  // Tesseract codes joined by '+'
  std::string tessdata_dir;       // "" = $TESSDATA_PREFIX or Tesseract's built-in path
  // Tesseract reads printed text best at about 300 DPI, whatever the app's image DPI; the
  // image is grayscale. Capped by max_pixels_per_page like the page image.
  double dpi = 300;
  // Turn pages scanned upside down or sideways upright (needs osd.traineddata).
  bool detect_orientation = true;
};

struct RenderOptions {
  PdfLimits limits;
  SandboxOptions sandbox;
  double dpi = 150;
  int jpeg_quality = 85;  // 1..100
  // A page whose bitmap at `dpi` would exceed this many pixels is rendered at a lower DPI that
  // fits (posters, corrupt MediaBoxes); its RenderedPage reports the DPI actually used.
  // The child also caps it at sandbox.memory_bytes / 16, since Poppler does not fail cleanly
  // when its bitmap does not fit (it returns a 1x1 image or dereferences null).
  long max_pixels_per_page = 25'000'000;
  bool render_images = true;   // false: text layer only (no bitmaps, no JPEG)
  bool extract_words = true;
  bool read_metadata = true;   // also read title/producer/version with PoDoFo
  OcrOptions ocr;              // only consulted when extract_words is set
  // Child processes rendering pages in parallel; 0 means the number of online CPUs.
  int max_processes = 0;
};

}  // namespace examq::pdf
