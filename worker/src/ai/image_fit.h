#pragma once
// Shrinking one JPEG to a provider's limits (provider_limits.h). The sizes are planned here; the
// pixel work (decode, resize, re-encode) happens in a sandboxed examq-render child
// (pdf/image_sandbox.h), never in the worker, which links no JPEG decoder: page images, above all
// app-supplied ones, are untrusted input. Used for rendered pages and app-supplied images alike.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ai/provider_limits.h"

namespace examq::ai {

// Width and height from the JPEG's frame header (SOF marker), read without a decoder; nullopt
// when there is no well-formed one before the image data.
std::optional<Size> jpeg_dimensions(std::string_view jpeg);

struct FittedImage {
  std::string jpeg;
  Size size;
};

// The image made to fit: longest side <= max_side and at most max_bytes bytes. nullopt when it
// already fits (nothing to do; it is never decoded), or when its size cannot be read but its
// bytes are within max_bytes (sent as it is; the provider judges). When max_side alone is not
// enough for max_bytes the side is shrunk by a quarter at a time, each try in the same child.
// `quality` is the JPEG quality of the re-encoding (the renderer's default is 85).
// Throws pdf::PdfError when an image past the limits cannot be shrunk: image_unreadable (corrupt,
// its size unreadable, or over pdf::kMaxImagePixels), a renderer_* kind when the child was killed
// by a limit, sandbox_unavailable when it could not start (pdf_error.h says which are critical).
std::optional<FittedImage> fit_jpeg(std::string_view jpeg, int max_side, std::size_t max_bytes, int quality = 85);

// fit_jpeg for page image `index` (1-based: the payload's base64_images position, or the page
// number) of a job, its failure turned into an AiError naming the image: bad_image (not
// transient) for a critical pdf::PdfError, unavailable (transient) otherwise.
std::optional<FittedImage> fit_page_image(int index, std::string_view jpeg, int max_side, std::size_t max_bytes);

// fit_page_image for each of `jpegs` (image i has index indexes[i]), in up to `parallel` children
// at once (0: the number of online CPUs): a child's start and the shrinking overlap instead of
// adding up. Throws the failure of the first failing image (in order) once all have finished.
std::vector<std::optional<FittedImage>> fit_page_images(const std::vector<int>& indexes,
                                                        const std::vector<std::string_view>& jpegs, int max_side,
                                                        std::size_t max_bytes, int parallel = 0);

}  // namespace examq::ai
