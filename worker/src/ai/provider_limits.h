#pragma once
// What one request to a provider may carry, applied before anything is sent: images per request,
// pixels on a side, bytes an image and bytes a request. A request past these is refused by the
// provider for good (request_rejected) or, for OpenAI's pixels, paid for and shrunk anyway; so
// examq shrinks images (image_fit.h) and splits batches (plan_within_limits) beforehand.

#include <cstddef>
#include <vector>

#include "ai/ai_config.h"
#include "ai/batch_plan.h"

namespace examq::ai {

struct ProviderLimits {
  int max_side = 0;              // longest side of an image in pixels (larger: refused or shrunk)
  int many_images = 0;           // with more images than this in one request...
  int many_images_max_side = 0;  // ...no side may exceed this (0: no such rule)
  std::size_t max_image_bytes = 0;    // a JPEG's own bytes (decoded from base64); 0: only the request's
  std::size_t max_request_bytes = 0;  // the whole JSON body, images base64-encoded
  int max_images = 0;            // images in one request
};

// Room left in a request for everything but the images (prompt, topic list, schema, labels).
inline constexpr std::size_t kRequestReserveBytes = 1024 * 1024;

const ProviderLimits& limits_for(Provider provider);

// The longest side allowed for each image of a request carrying `images` images.
int side_limit(const ProviderLimits& limits, int images);

// The most bytes one JPEG may have in a request of that provider (per-image limit, and the
// request's room for images).
std::size_t image_byte_limit(const ProviderLimits& limits);

// width x height scaled (aspect kept, rounded, at least 1) so the longer side is at most max_side;
// unchanged when it already is.
struct Size {
  int width = 0, height = 0;
  bool operator==(const Size&) const = default;
};
Size fit_within(Size size, int max_side);

// Length of the base64 encoding of n bytes (with padding).
constexpr std::size_t base64_length(std::size_t n) { return (n + 2) / 3 * 4; }

// plan_batches(image_bytes.size(), pages_per_request), then every batch whose images would pass
// the request's limits (count, or base64 bytes beyond kRequestReserveBytes under the request
// limit) is split into two halves sharing their middle page (as batch_runner splits a cut-off
// answer), again until each fits or is a single page. `image_bytes` is each page's JPEG size.
// `splits` (when given) is set to the number of batches split. Indexes are renumbered in page order.
std::vector<Batch> plan_within_limits(const std::vector<std::size_t>& image_bytes, int pages_per_request,
                                      const ProviderLimits& limits, int* splits = nullptr);

}  // namespace examq::ai
