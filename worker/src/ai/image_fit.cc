#include "ai/image_fit.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

#include "ai/ai_error.h"
#include "pdf/image_sandbox.h"
#include "pdf/pdf_error.h"
#include "pdf/process_budget.h"

namespace examq::ai {

namespace {

constexpr int kSmallestSide = 256;  // below this a page is unreadable anyway: stop shrinking

int be16(std::string_view b, std::size_t i) {
  return (static_cast<unsigned char>(b[i]) << 8) | static_cast<unsigned char>(b[i + 1]);
}

}  // namespace

std::optional<Size> jpeg_dimensions(std::string_view b) {
  if (b.size() < 4 || static_cast<unsigned char>(b[0]) != 0xFF || static_cast<unsigned char>(b[1]) != 0xD8) {
    return std::nullopt;
  }
  std::size_t i = 2;
  while (i + 4 <= b.size()) {
    if (static_cast<unsigned char>(b[i]) != 0xFF) return std::nullopt;
    const unsigned char marker = static_cast<unsigned char>(b[i + 1]);
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // markers without a length
      i += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // image data before any frame header
    const std::size_t length = static_cast<std::size_t>(be16(b, i + 2));
    if (length < 2) return std::nullopt;
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (length < 7 || i + 9 > b.size()) return std::nullopt;
      const Size size{be16(b, i + 7), be16(b, i + 5)};
      if (size.width <= 0 || size.height <= 0) return std::nullopt;
      return size;
    }
    i += 2 + length;
  }
  return std::nullopt;
}

std::optional<FittedImage> fit_jpeg(std::string_view jpeg, int max_side, std::size_t max_bytes, int quality) {
  const bool too_heavy = max_bytes > 0 && jpeg.size() > max_bytes;
  const std::optional<Size> full = jpeg_dimensions(jpeg);
  if (!full) {
    if (!too_heavy) return std::nullopt;
    throw pdf::PdfError(pdf::PdfErrorKind::image_unreadable, "not a JPEG whose size can be read");
  }
  const bool too_large = max_side > 0 && std::max(full->width, full->height) > max_side;
  if (!too_large && !too_heavy) return std::nullopt;
  pdf::SandboxedJpeg child(jpeg, pdf::image_sandbox_options(), quality);
  int side = too_large ? max_side : std::max(full->width, full->height);
  while (true) {
    const Size target = fit_within(*full, side);
    std::string out = child.shrink(target.width, target.height);
    if (max_bytes == 0 || out.size() <= max_bytes || side <= kSmallestSide) return FittedImage{std::move(out), target};
    side = std::max(kSmallestSide, side * 3 / 4);
  }
}

std::optional<FittedImage> fit_page_image(int index, std::string_view jpeg, int max_side, std::size_t max_bytes) {
  try {
    return fit_jpeg(jpeg, max_side, max_bytes);
  } catch (const pdf::PdfError& e) {
    const std::string message = "page image " + std::to_string(index) +
                                " is past the provider's limits and could not be shrunk: " + e.what();
    throw AiError(e.critical() ? AiErrorKind::bad_image : AiErrorKind::unavailable, message);
  }
}

std::vector<std::optional<FittedImage>> fit_page_images(const std::vector<int>& indexes,
                                                        const std::vector<std::string_view>& jpegs, int max_side,
                                                        std::size_t max_bytes, int parallel) {
  std::vector<std::optional<FittedImage>> out(jpegs.size());
  std::vector<std::exception_ptr> errors(jpegs.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < jpegs.size();) {
      try {
        out[i] = fit_page_image(indexes[i], jpegs[i], max_side, max_bytes);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(jpegs.size(), static_cast<std::size_t>(parallel > 0 ? parallel : pdf::online_cpus()));
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
  }
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return out;
}

}  // namespace examq::ai
