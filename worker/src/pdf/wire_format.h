#pragma once

// The protocol between the worker and its examq-render children.
//
// The child inherits two descriptors: kChannelFd, a Unix stream socket (commands in, results
// out), and kPdfFd, a sealed read-only memfd holding the PDF (in `fit-image` mode, the JPEG to
// shrink). Everything else is /dev/null
// except stderr, which the parent reads for diagnostics.
//
// Commands (parent -> child) are 8 bytes: u32 Command, u32 argument.
// Frames (child -> parent) are a u32 FrameType, a u32 payload length, then the payload, made of
// native-endian integers, doubles and length-prefixed strings (both ends are the same build on
// the same machine). The parent distrusts every length: a child is parsing hostile input.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "pdf/document_info.h"
#include "pdf/page_text.h"

namespace examq::pdf::wire {

constexpr int kChannelFd = 3;
constexpr int kPdfFd = 4;

// Exit statuses of examq-render besides 0.
constexpr int kExitReportedError = 3;  // an Error frame was sent first
constexpr int kExitOutOfMemory = 4;    // std::bad_alloc under RLIMIT_AS
constexpr int kExitUnexpected = 5;     // another exception escaped; the reason is on stderr
constexpr int kExitUsage = 64;         // bad arguments or descriptors (a bug, not the PDF)
constexpr int kExitParentGone = 65;

// shrink_image (fit-image mode): the argument is the target width << 16 | height.
enum class Command : std::uint32_t { render_page = 1, quit = 2, shrink_image = 3 };

// ocr_ready: the answer of `examq-render ocr-check`, the languages it loaded. image: a JPEG
// shrunk by `examq-render fit-image`.
enum class FrameType : std::uint32_t { info = 1, page = 2, error = 3, metadata = 4, ocr_ready = 5, image = 6 };

// What an Error frame says went wrong, mapped to PdfErrorKind by the parent.
enum class ChildError : std::uint32_t {
  unreadable = 1,       // the document could not be loaded
  page_unreadable = 2,  // a page could not be created or rendered
  encode_failed = 3,    // the JPEG encoder failed
  bad_request = 4,      // a command the child does not understand
  metadata_failed = 5,  // PoDoFo rejected the file (metadata mode only)
  ocr_unavailable = 6,  // Tesseract could not load its languages (an installation problem)
  image_unreadable = 7, // fit-image: the JPEG could not be decoded (corrupt, truncated)
  image_too_large = 8,  // fit-image: the JPEG declares more pixels than --max-pixels
};

// Largest payload the parent accepts (a 25-Mpixel JPEG at quality 100 stays well below).
constexpr std::uint32_t kMaxPayloadBytes = 256u << 20;

struct WireError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Encoder {
 public:
  void u32(std::uint32_t v) { raw(&v, sizeof v); }
  void i32(std::int32_t v) { raw(&v, sizeof v); }
  void f64(double v) { raw(&v, sizeof v); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  std::string& bytes() { return out_; }

 private:
  void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

// Reads a payload; throws WireError on truncation.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  std::uint32_t u32();
  std::int32_t i32();
  double f64();
  std::string str();
  bool done() const { return in_.empty(); }
  std::size_t remaining() const { return in_.size(); }

 private:
  void raw(void* p, std::size_t n);
  std::string_view in_;
};

struct Frame {
  FrameType type;
  std::string payload;
};

// A frame with its 8-byte header, ready to write.
std::string frame(FrameType type, std::string_view payload);
// A command ready to write.
std::string command(Command c, std::uint32_t argument);

// Accumulates bytes from the channel and cuts them into frames.
class FrameReader {
 public:
  void append(const char* data, std::size_t n) { buffer_.append(data, n); }
  // The next complete frame, if any. Throws WireError on an unknown type or oversized length.
  std::optional<Frame> next();
  bool empty() const { return buffer_.size() == consumed_; }

 private:
  std::nullopt_t compact();
  std::string buffer_;
  std::size_t consumed_ = 0;
};

struct PageReply {
  int page_number = 0;
  int width = 0, height = 0;  // pixels
  double dpi = 0;
  std::string jpeg;
  PageText text;
  // Measured by the child, for the worker's metrics only (a child's claim, so decoding clamps
  // them to 0..kMaxReportedSeconds): rendering with the text layer, and OCR (0 without).
  double render_seconds = 0;
  double ocr_seconds = 0;
};
constexpr double kMaxReportedSeconds = 3600;

// A JPEG shrunk in fit-image mode, of exactly the requested size.
struct ImageReply {
  int width = 0, height = 0;
  std::string jpeg;
};

struct ErrorReply {
  ChildError code = ChildError::unreadable;
  std::string message;
};

// An Info payload carries PopplerInfo::page_costs as a count and that many u32s; decoding
// refuses a count that is neither 0 nor the page count (or larger than the payload).
std::string encode(const PopplerInfo& info);
std::string encode(const PodofoInfo& info);
std::string encode(const PageReply& page);
std::string encode(const ErrorReply& error);
std::string encode(const ImageReply& image);

PopplerInfo decode_poppler_info(std::string_view payload);
PodofoInfo decode_podofo_info(std::string_view payload);
PageReply decode_page(std::string_view payload);
ErrorReply decode_error(std::string_view payload);
ImageReply decode_image(std::string_view payload);

}  // namespace examq::pdf::wire
