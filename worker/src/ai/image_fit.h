#pragma once
// Shrinking one JPEG to a provider's limits (provider_limits.h): decoded with TurboJPEG (scaled
// while decoding where it can), box-filtered to the exact size and re-encoded with the renderer's
// encoder (pdf/jpeg_encoder.h). Used for rendered pages and app-supplied images alike.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ai/provider_limits.h"

namespace examq::ai {

// Width and height from the JPEG's header; nullopt when TurboJPEG cannot read it.
std::optional<Size> jpeg_dimensions(std::string_view jpeg);

struct FittedImage {
  std::string jpeg;
  Size size;
};

// The image made to fit: longest side <= max_side and at most max_bytes bytes. nullopt when it
// already fits (nothing to do) or cannot be decoded (sent as it is; the provider judges). When
// max_side alone is not enough for max_bytes the side is shrunk by a quarter at a time.
// `quality` is the JPEG quality of the re-encoding (the renderer's default is 85).
std::optional<FittedImage> fit_jpeg(std::string_view jpeg, int max_side, std::size_t max_bytes, int quality = 85);

}  // namespace examq::ai
