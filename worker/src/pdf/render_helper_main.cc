// examq-render: the sandboxed child that parses and renders one untrusted PDF for the worker.
//
//   examq-render render   [--option=value ...]   open the PDF, report Info, then render the
//                                                pages the parent asks for, one at a time
//   examq-render metadata [--option=value ...]   read the metadata with PoDoFo, report, exit
//   examq-render ocr-check [--option=value ...]  load the OCR languages, report, exit (no PDF)
//   examq-render fit-image [--option=value ...]  descriptor 4 holds a JPEG (not a PDF): shrink
//                                                it to each size the parent asks for
//
// Options: --parent=PID --memory=BYTES --cpu=SECONDS --dpi=D --quality=Q --max-pixels=N
// --images=0|1 --words=0|1 --fault=none|crash|hang|oom --fault-page=N
// --ocr=off|auto|always --ocr-languages=eng --ocr-dpi=300 --ocr-orientation=0|1 --tessdata=DIR
// --page-costs=N (render: Info carries every page's estimated cost when there are at most N).
// --image-pixels=N (fit-image: refuse a JPEG declaring more pixels than N).
// Descriptors and framing: see wire_format.h. Not meant to be run by hand.

#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "pdf/child_sandbox.h"
#include "pdf/jpeg_shrinker.h"
#include "pdf/ocr_engine.h"
#include "pdf/ocr_words.h"
#include "pdf/podofo_metadata.h"
#include "pdf/poppler_renderer.h"
#include "pdf/wire_format.h"

namespace {

using namespace examq::pdf;
using Clock = std::chrono::steady_clock;

struct Config {
  std::string mode;
  ChildLimits limits;
  PageRenderSettings page;
  int quality = 85;
  std::string fault = "none";
  int fault_page = 1;
  std::string ocr = "auto";  // off | auto | always
  double ocr_dpi = 300;
  OcrSettings ocr_settings;
  // Info frame: estimate page costs (the parent schedules heaviest first) for a document of at
  // most this many pages; 0, as for every child but the first, skips it.
  int page_costs_up_to = 0;
  long long image_max_pixels = 100'000'000;  // fit-image
};

[[noreturn]] void usage_error(const char* what) {
  const std::string line = std::string("examq-render: ") + what + "\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
  _exit(wire::kExitUsage);
}

Config parse_arguments(int argc, char** argv) {
  if (argc < 2) usage_error("missing mode");
  Config config;
  config.mode = argv[1];
  std::map<std::string, std::string> options;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto eq = arg.find('=');
    if (arg.substr(0, 2) != "--" || eq == std::string_view::npos) usage_error("bad option");
    options[std::string(arg.substr(2, eq - 2))] = std::string(arg.substr(eq + 1));
  }
  auto number = [&](const char* key, double fallback) {
    const auto it = options.find(key);
    return it == options.end() ? fallback : std::strtod(it->second.c_str(), nullptr);
  };
  config.limits.parent = static_cast<pid_t>(number("parent", 0));
  config.limits.memory_bytes = static_cast<std::size_t>(number("memory", 0));
  config.limits.cpu_seconds_per_request = static_cast<int>(number("cpu", 0));
  config.page.dpi = number("dpi", 150);
  config.page.max_pixels = static_cast<long>(number("max-pixels", 25e6));
  config.page.render_image = number("images", 1) != 0;
  config.page.extract_words = number("words", 1) != 0;
  config.quality = static_cast<int>(number("quality", 85));
  if (options.count("fault")) config.fault = options["fault"];
  config.fault_page = static_cast<int>(number("fault-page", 1));
  if (options.count("ocr")) config.ocr = options["ocr"];
  if (config.ocr != "off" && config.ocr != "auto" && config.ocr != "always") usage_error("bad --ocr");
  config.ocr_dpi = number("ocr-dpi", 300);
  if (options.count("ocr-languages")) config.ocr_settings.languages = options["ocr-languages"];
  if (options.count("tessdata")) config.ocr_settings.tessdata_dir = options["tessdata"];
  config.ocr_settings.detect_orientation = number("ocr-orientation", 1) != 0;
  config.page_costs_up_to = static_cast<int>(number("page-costs", 0));  // Info frame costs
  config.image_max_pixels = static_cast<long long>(number("image-pixels", 100e6));
  if (config.page.dpi <= 0 || config.page.dpi > 2400) usage_error("bad dpi");
  if (config.ocr_dpi <= 0 || config.ocr_dpi > 1200) usage_error("bad ocr dpi");
  // Splash's bitmap (4 bytes a pixel) and poppler-cpp's copy of it must fit in the address
  // space with room to spare, whatever --max-pixels says: beyond that Poppler does not fail
  // cleanly (a 1x1 image, or a null dereference).
  if (config.limits.memory_bytes > 0) {
    config.page.max_pixels =
        std::min<long>(config.page.max_pixels, static_cast<long>(config.limits.memory_bytes / 16));
  }
  return config;
}

void write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(wire::kChannelFd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(wire::kExitParentGone);  // the parent closed the channel: nobody to tell
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void send(wire::FrameType type, const std::string& payload) { write_all(wire::frame(type, payload)); }

[[noreturn]] void fail(wire::ChildError code, const std::string& message) {
  send(wire::FrameType::error, wire::encode(wire::ErrorReply{code, message}));
  _exit(wire::kExitReportedError);
}

// False on end of file (the parent is done with us).
bool read_command(wire::Command& command, std::uint32_t& argument) {
  char buffer[8];
  std::size_t got = 0;
  while (got < sizeof buffer) {
    const ssize_t n = read(wire::kChannelFd, buffer + got, sizeof buffer - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  std::uint32_t raw;
  std::memcpy(&raw, buffer, 4);
  std::memcpy(&argument, buffer + 4, 4);
  command = static_cast<wire::Command>(raw);
  return true;
}

std::string_view map_pdf() {
  struct stat st{};
  if (fstat(wire::kPdfFd, &st) != 0 || st.st_size <= 0) usage_error("no PDF on descriptor 4");
  void* p = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE,
                 wire::kPdfFd, 0);
  if (p == MAP_FAILED) usage_error("cannot map the PDF");
  return {static_cast<const char*>(p), static_cast<std::size_t>(st.st_size)};
}

// The test hook (see RenderFault): behave like a renderer that hit a hostile page.
void inject_fault(const Config& config, int page_number) {
  if (config.fault == "none" || page_number != config.fault_page) return;
  if (config.fault == "crash") {
    std::raise(SIGSEGV);
  } else if (config.fault == "hang") {
    volatile unsigned long spin = 0;
    for (;;) spin = spin + 1;
  } else if (config.fault == "oom") {
    std::vector<std::unique_ptr<char[]>> hoard;
    for (;;) hoard.emplace_back(new char[64u << 20]);  // ends in std::bad_alloc under RLIMIT_AS
  }
}

// Loaded on the first page that needs it: most papers are born digital and never pay for it.
std::unique_ptr<OcrEngine> start_ocr_engine(const Config& config) {
  try {
    return open_ocr_engine(config.ocr_settings);
  } catch (const OcrUnavailable& e) {
    fail(wire::ChildError::ocr_unavailable, e.what());
  }
}

bool needs_ocr(const Config& config, const PageText& text) {
  if (!config.page.extract_words || config.ocr == "off") return false;
  return config.ocr == "always" || !has_usable_text_layer(text);
}

// Replaces the page's words with those Tesseract reads from a grayscale image rendered at the
// OCR resolution (the page image for the app, if any, stays as rendered). A page OCR cannot
// read keeps its own text layer and says why in ocr_error: one bad page does not cost the paper.
void read_by_ocr(const Config& config, PopplerRenderer& renderer, std::unique_ptr<OcrEngine>& engine,
                 wire::PageReply& reply) {
  // Tesseract keeps several copies of the image (binarised, scaled) beside its models: leave
  // it a bigger share of the address space than a page render needs.
  long max_pixels = config.page.max_pixels;
  if (config.limits.memory_bytes > 0) {
    max_pixels = std::min<long>(max_pixels, static_cast<long>(config.limits.memory_bytes / 48));
  }
  OcrPage ocr;
  try {
    const GrayBitmap bitmap = renderer.render_gray(reply.page_number, config.ocr_dpi, max_pixels);
    // A sparse born-digital page ("BLANK PAGE", a page number) keeps its text layer.
    if (config.ocr != "always" && !has_unread_ink(bitmap, reply.text)) return;
    if (!engine) engine = start_ocr_engine(config);
    ocr = engine->recognise(bitmap);
  } catch (const std::bad_alloc&) {
    engine.reset();  // give back what Tesseract holds; the next page that needs it reloads it
    reply.text.ocr_error = "not enough memory to read the page by OCR";
    return;
  } catch (const std::exception& e) {
    reply.text.ocr_error = e.what();
    return;
  }
  reply.text = std::move(ocr.text);
  reply.text.page_number = reply.page_number;
  reply.text.source = TextSource::ocr;
  reply.text.ocr_rotated_degrees = ocr.rotated_degrees;
  reply.text.ocr_skew_degrees = ocr.skew_degrees;
  reply.text.ocr_confidence = ocr.mean_confidence;
}

int run_renderer(const Config& config, std::string_view pdf) {
  // Every page allocates, clears and frees bitmaps of several MB. With glibc's defaults these
  // go back to the kernel after each page and come back as fresh zero pages: measured at 40%
  // of a simple page's CPU time in page faults. Keep freed memory for reuse instead (the
  // child's RLIMIT_AS still bounds it).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  silence_poppler_errors();
  arm_cpu_limit(config.limits.cpu_seconds_per_request);
  std::unique_ptr<PopplerRenderer> renderer = PopplerRenderer::open(pdf, config.quality);
  if (!renderer) fail(wire::ChildError::unreadable, "Poppler could not load the document");
  PopplerInfo info = renderer->info();
  // Info frame: page costs for the parent's scheduling, only within the page limit (a
  // document over it is rejected on this frame; no point reading all its pages first).
  if (!info.locked && info.page_count <= config.page_costs_up_to) {
    info.page_costs = renderer->estimated_costs();
  }
  send(wire::FrameType::info, wire::encode(info));
  if (info.locked) return 0;

  std::unique_ptr<OcrEngine> ocr_engine;
  wire::Command command;
  std::uint32_t page_number;
  while (read_command(command, page_number)) {
    if (command == wire::Command::quit) return 0;
    if (command != wire::Command::render_page || page_number < 1 ||
        page_number > static_cast<std::uint32_t>(info.page_count)) {
      fail(wire::ChildError::bad_request, "bad request");
    }
    arm_cpu_limit(config.limits.cpu_seconds_per_request);
    inject_fault(config, static_cast<int>(page_number));
    wire::PageReply reply;
    const auto started = Clock::now();
    try {
      reply = renderer->render(static_cast<int>(page_number), config.page);
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      fail(wire::ChildError::page_unreadable, e.what());
    }
    const auto rendered = Clock::now();
    reply.render_seconds = std::chrono::duration<double>(rendered - started).count();
    if (needs_ocr(config, reply.text)) {
      read_by_ocr(config, *renderer, ocr_engine, reply);
      if (reply.text.source == TextSource::ocr) reply.ocr_seconds = std::chrono::duration<double>(Clock::now() - rendered).count();
    }
    send(wire::FrameType::page, wire::encode(reply));
  }
  return 0;
}

int run_metadata(const Config& config, std::string_view pdf) {
  arm_cpu_limit(config.limits.cpu_seconds_per_request);
  auto result = read_podofo_info(pdf);
  if (auto* rejection = std::get_if<std::string>(&result)) {
    fail(wire::ChildError::metadata_failed, *rejection);
  }
  send(wire::FrameType::metadata, wire::encode(std::get<PodofoInfo>(result)));
  return 0;
}

int run_ocr_check(const Config& config) {
  arm_cpu_limit(config.limits.cpu_seconds_per_request);
  const std::unique_ptr<OcrEngine> engine = start_ocr_engine(config);
  send(wire::FrameType::ocr_ready, config.ocr_settings.languages);
  return 0;
}

// The input is an untrusted JPEG (an app-supplied page image past a provider's limits). The
// header is read, and the pixel limit checked, before any command; then each shrink_image
// command gets an Image frame of exactly that size.
int run_fit_image(const Config& config, std::string_view jpeg) {
  arm_cpu_limit(config.limits.cpu_seconds_per_request);
  std::unique_ptr<JpegShrinker> shrinker;
  try {
    shrinker = std::make_unique<JpegShrinker>(jpeg, config.image_max_pixels);
  } catch (const JpegTooLarge& e) {
    fail(wire::ChildError::image_too_large, e.what());
  } catch (const JpegShrinkError& e) {
    fail(wire::ChildError::image_unreadable, e.what());
  }
  wire::Command command;
  std::uint32_t size;
  while (read_command(command, size)) {
    if (command == wire::Command::quit) return 0;
    if (command != wire::Command::shrink_image) fail(wire::ChildError::bad_request, "bad request");
    arm_cpu_limit(config.limits.cpu_seconds_per_request);
    inject_fault(config, 1);
    wire::ImageReply reply;
    reply.width = static_cast<int>(size >> 16);
    reply.height = static_cast<int>(size & 0xffff);
    try {
      reply.jpeg = shrinker->shrink(reply.width, reply.height, config.quality);
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      fail(wire::ChildError::image_unreadable, e.what());
    }
    send(wire::FrameType::image, wire::encode(reply));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Belt and braces behind the parent's closefrom: nothing but wire_format.h's descriptors.
  close_range(wire::kPdfFd + 1, ~0u, 0);
  const Config config = parse_arguments(argc, argv);
  if (!enter_child_sandbox(config.limits)) return wire::kExitParentGone;
  try {
    if (config.mode == "ocr-check") return run_ocr_check(config);
    const std::string_view pdf = map_pdf();
    if (config.mode == "render") return run_renderer(config, pdf);
    if (config.mode == "metadata") return run_metadata(config, pdf);
    if (config.mode == "fit-image") return run_fit_image(config, pdf);
    usage_error("unknown mode");
  } catch (const std::bad_alloc&) {
    // Poppler and PoDoFo allocate with new: under RLIMIT_AS this is how they run out.
    _exit(wire::kExitOutOfMemory);
  } catch (const std::exception& e) {
    const std::string line = std::string("examq-render: ") + e.what() + "\n";
    (void)!write(STDERR_FILENO, line.data(), line.size());
    _exit(wire::kExitUnexpected);
  }
}
