// examq-render-bench: the tool bench/render/run.sh times.
//
//   examq-render-bench fixture OUT.pdf PAGES      write an exam-like PDF (PoDoFo, Helvetica)
//   examq-render-bench render IN.pdf [options]    render every page like the worker does
//       --processes=N (default: CPUs)  --dpi=D (150)  --quality=Q (85)  --words=0|1 (1)
//       --timeline=1  also print to stderr when each page arrived (ms since the call began)
//
// `render` prints one line to stdout: pages, seconds, pages/s, processes, total JPEG bytes.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "pdf/render_pool.h"
#include "pdf_fixtures.h"

namespace {

int usage() {
  std::cerr << "usage: examq-render-bench fixture OUT.pdf PAGES\n"
               "       examq-render-bench render IN.pdf [--processes=N] [--dpi=D] "
               "[--quality=Q] [--words=0|1]\n";
  return 64;
}

double option(int argc, char** argv, const std::string& name, double fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(prefix, 0) == 0) return std::strtod(arg.c_str() + prefix.size(), nullptr);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  if (mode == "fixture" && argc == 4) {
    const std::string pdf =
        examq::pdf::testing::make_pdf(examq::pdf::testing::exam_like_document(std::atoi(argv[3])));
    std::ofstream(argv[2], std::ios::binary) << pdf;
    return 0;
  }
  if (mode != "render") return usage();

  std::ifstream in(argv[2], std::ios::binary);
  if (!in) return usage();
  std::ostringstream bytes;
  bytes << in.rdbuf();

  examq::pdf::RenderOptions options;
  options.sandbox.helper_path = EXAMQ_RENDER_HELPER_PATH;
  options.max_processes = static_cast<int>(option(argc, argv, "processes", 0));
  options.dpi = option(argc, argv, "dpi", 150);
  options.jpeg_quality = static_cast<int>(option(argc, argv, "quality", 85));
  options.extract_words = option(argc, argv, "words", 1) != 0;
  const bool timeline = option(argc, argv, "timeline", 0) != 0;
  const auto start = std::chrono::steady_clock::now();
  auto progress = [&](int done, int total, int) {
    if (!timeline) return;
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "%7.1f ms  page %d/%d\n", ms, done, total);
  };
  try {
    const examq::pdf::RenderedDocument result =
        examq::pdf::render_pdf(bytes.str(), options, progress);
    std::size_t jpeg_bytes = 0;
    for (const auto& page : result.pages) jpeg_bytes += page.jpeg.size();
    std::printf("pages=%zu seconds=%.3f pages_per_s=%.1f processes=%d jpeg_bytes=%zu open_seconds=%.3f\n",
                result.pages.size(), result.stats.seconds,
                static_cast<double>(result.pages.size()) / result.stats.seconds,
                result.stats.processes, jpeg_bytes, result.stats.open_seconds);
  } catch (const examq::pdf::PdfError& e) {
    std::fprintf(stderr, "examq-render-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
