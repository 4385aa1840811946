#include "ai/provider_limits.h"

#include <algorithm>
#include <cmath>

namespace examq::ai {

namespace {

// Anthropic, https://docs.anthropic.com/en/docs/build-with-claude/vision ("Image size" and "FAQ")
// and https://docs.anthropic.com/en/api/overview ("Request size limits"):
// - images larger than 8000x8000 px are rejected; when more than 20 images are in one API
//   request, each must be at most 2000x2000 px ("At least one of the image dimensions exceed max
//   allowed size for many-image requests: 2000 pixels");
// - up to 100 images per API request;
// - 5 MB per image: the API checks the length of the base64 string (5 MiB), not the decoded bytes,
//   so a JPEG may have at most 5 MiB * 3/4 = 3,932,160 bytes (we use that, the stricter reading);
// - 32 MB per Messages API request (the whole body).
// (Anthropic shrinks anything past 1568 px on its long side itself; larger images are allowed.)
constexpr ProviderLimits kAnthropic{
    .max_side = 8000,
    .many_images = 20,
    .many_images_max_side = 2000,
    .max_image_bytes = 5u * 1024 * 1024 / 4 * 3,
    .max_request_bytes = 32u * 1000 * 1000,
    .max_images = 100,
};

// OpenAI, https://platform.openai.com/docs/guides/images-vision ("Image input requirements" and
// "Calculating costs"): up to 50 MB total payload per request and up to 500 images; at detail
// "high" an image is first scaled to fit 2048x2048 px, so more pixels are paid for in upload time
// only: examq sends at most 2048 px on a side.
constexpr ProviderLimits kOpenAi{
    .max_side = 2048,
    .many_images = 0,
    .many_images_max_side = 0,
    .max_image_bytes = 0,
    .max_request_bytes = 50u * 1000 * 1000,
    .max_images = 500,
};

std::size_t request_image_room(const ProviderLimits& limits) {
  return limits.max_request_bytes > kRequestReserveBytes ? limits.max_request_bytes - kRequestReserveBytes : 0;
}

bool fits(const std::vector<std::size_t>& image_bytes, const Batch& b, const ProviderLimits& limits) {
  const int count = b.last - b.first + 1;
  if (limits.max_images > 0 && count > limits.max_images) return false;
  std::size_t total = 0;
  for (int i = b.first; i <= b.last; ++i) total += base64_length(image_bytes[static_cast<std::size_t>(i)]);
  return total <= request_image_room(limits);
}

void split_into(const std::vector<std::size_t>& image_bytes, const Batch& b, const ProviderLimits& limits,
                std::vector<Batch>& out, int* splits) {
  const int n = b.last - b.first + 1;
  if (n == 1 || fits(image_bytes, b, limits)) {
    out.push_back(b);
    return;
  }
  if (splits != nullptr) ++*splits;
  const int mid = b.first + n / 2;
  split_into(image_bytes, Batch{0, b.first, n == 2 ? b.first : mid}, limits, out, splits);
  split_into(image_bytes, Batch{0, n == 2 ? b.last : mid, b.last}, limits, out, splits);
}

}  // namespace

const ProviderLimits& limits_for(Provider provider) {
  return provider == Provider::anthropic ? kAnthropic : kOpenAi;
}

int side_limit(const ProviderLimits& limits, int images) {
  if (limits.many_images_max_side > 0 && images > limits.many_images) {
    return std::min(limits.max_side, limits.many_images_max_side);
  }
  return limits.max_side;
}

std::size_t image_byte_limit(const ProviderLimits& limits) {
  // The largest JPEG whose base64 form fits the request's room for images.
  std::size_t by_request = request_image_room(limits) / 4 * 3;
  return limits.max_image_bytes > 0 ? std::min(limits.max_image_bytes, by_request) : by_request;
}

Size fit_within(Size size, int max_side) {
  const int longest = std::max(size.width, size.height);
  if (max_side <= 0 || longest <= max_side) return size;
  const double scale = static_cast<double>(max_side) / longest;
  auto scaled = [&](int v) { return std::clamp(static_cast<int>(std::lround(v * scale)), 1, max_side); };
  return Size{scaled(size.width), scaled(size.height)};
}

std::vector<Batch> plan_within_limits(const std::vector<std::size_t>& image_bytes, int pages_per_request,
                                      const ProviderLimits& limits, int* splits) {
  std::vector<Batch> out;
  if (splits != nullptr) *splits = 0;
  for (const Batch& b : plan_batches(static_cast<int>(image_bytes.size()), pages_per_request)) {
    split_into(image_bytes, b, limits, out, splits);
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i].index = static_cast<int>(i);
  return out;
}

}  // namespace examq::ai
