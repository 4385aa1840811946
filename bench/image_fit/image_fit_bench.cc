// examq-image-fit-bench [runs] [width height]: times ai::fit_jpeg (the pixel work in a sandboxed
// examq-render child: start, decode, resize, re-encode) against the same pixel work done
// in-process (pdf::JpegShrinker, which the worker no longer calls), on a synthetic grayscale page
// scan (text-like strokes on white, default 2479x3508: A4 at 300 DPI) shrunk to 2000 px.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "ai/image_fit.h"
#include "pdf/image_sandbox.h"
#include "pdf/jpeg_encoder.h"
#include "pdf/jpeg_shrinker.h"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  const int width = argc > 3 ? std::atoi(argv[2]) : 2479;
  const int height = argc > 3 ? std::atoi(argv[3]) : 3508;
  std::vector<unsigned char> pixels(static_cast<std::size_t>(width) * height, 250);
  std::mt19937 rng(7);
  for (int line = 120; line + 30 < height; line += 60) {  // rows of "words"
    for (int x = 150; x + 40 < width - 150; x += 50 + static_cast<int>(rng() % 40)) {
      for (int y = line; y < line + 30; ++y) {
        for (int dx = 0; dx < 30; ++dx) {
          if (rng() % 3 == 0) pixels[static_cast<std::size_t>(y) * width + x + dx] = 20;
        }
      }
    }
  }
  const std::string jpeg = examq::pdf::JpegEncoder(85).encode(pixels.data(), width, height, width,
                                                              examq::pdf::JpegEncoder::PixelLayout::gray8);
  examq::pdf::SandboxOptions options;
  options.helper_path = EXAMQ_RENDER_HELPER_PATH;
  examq::pdf::set_image_sandbox_options(options);
  const int side = 2000;
  const examq::ai::Size target = examq::ai::fit_within({width, height}, side);

  // CPU seconds of this process and its reaped children (steadier than wall time on a busy host).
  auto cpu = [] {
    double total = 0;
    for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
      rusage u{};
      getrusage(who, &u);
      total += u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    }
    return total;
  };
  struct Cost {
    double wall, cpu;
  };
  auto time = [&](auto&& f) {
    f();  // warm up (page cache, dynamic loader)
    const auto start = Clock::now();
    const double cpu_start = cpu();
    for (int i = 0; i < runs; ++i) f();
    return Cost{std::chrono::duration<double>(Clock::now() - start).count() / runs, (cpu() - cpu_start) / runs};
  };
  const Cost in_process = time([&] {
    examq::pdf::JpegShrinker shrinker(jpeg, examq::pdf::kMaxImagePixels);
    (void)shrinker.shrink(target.width, target.height, 85);
  });
  const Cost sandboxed = time([&] { (void)examq::ai::fit_jpeg(jpeg, side, 0); });
  const Cost start_only = time([&] {  // a child that refuses at once: start, header, exit
    try {
      (void)examq::ai::fit_jpeg(std::string_view(jpeg).substr(0, 400), side, 0);
    } catch (const std::exception&) {
    }
  });
  std::printf("image %dx%d, %zu bytes -> %dx%d, %d runs\n", width, height, jpeg.size(), target.width, target.height,
              runs);
  std::printf("                                   wall s   CPU s (per image)\n");
  std::printf("in-process shrink                  %.3f   %.3f\n", in_process.wall, in_process.cpu);
  std::printf("sandboxed child (start + shrink)   %.3f   %.3f\n", sandboxed.wall, sandboxed.cpu);
  std::printf("child start alone (no shrink)      %.3f   %.3f\n", start_only.wall, start_only.cpu);
}
