#include "pdf/wire_format.h"

#include <algorithm>
#include <cstring>

namespace examq::pdf::wire {

void Decoder::raw(void* p, std::size_t n) {
  if (in_.size() < n) throw WireError("truncated frame");
  std::memcpy(p, in_.data(), n);
  in_.remove_prefix(n);
}

std::uint32_t Decoder::u32() {
  std::uint32_t v;
  raw(&v, sizeof v);
  return v;
}

std::int32_t Decoder::i32() {
  std::int32_t v;
  raw(&v, sizeof v);
  return v;
}

double Decoder::f64() {
  double v;
  raw(&v, sizeof v);
  return v;
}

std::string Decoder::str() {
  const std::uint32_t n = u32();
  if (in_.size() < n) throw WireError("truncated string");
  std::string s(in_.substr(0, n));
  in_.remove_prefix(n);
  return s;
}

std::string frame(FrameType type, std::string_view payload) {
  Encoder e;
  e.u32(static_cast<std::uint32_t>(type));
  e.u32(static_cast<std::uint32_t>(payload.size()));
  e.bytes().append(payload.data(), payload.size());
  return std::move(e.bytes());
}

std::string command(Command c, std::uint32_t argument) {
  Encoder e;
  e.u32(static_cast<std::uint32_t>(c));
  e.u32(argument);
  return std::move(e.bytes());
}

std::optional<Frame> FrameReader::next() {
  constexpr std::size_t kHeader = 8;
  const std::size_t available = buffer_.size() - consumed_;
  if (available < kHeader) return compact();
  std::uint32_t type, length;
  std::memcpy(&type, buffer_.data() + consumed_, 4);
  std::memcpy(&length, buffer_.data() + consumed_ + 4, 4);
  if (type < static_cast<std::uint32_t>(FrameType::info) ||
      type > static_cast<std::uint32_t>(FrameType::image)) {
    throw WireError("unknown frame type " + std::to_string(type));
  }
  if (length > kMaxPayloadBytes) throw WireError("oversized frame (" + std::to_string(length) + " bytes)");
  if (available < kHeader + length) return compact();
  Frame f{static_cast<FrameType>(type), buffer_.substr(consumed_ + kHeader, length)};
  consumed_ += kHeader + length;
  return f;
}

std::nullopt_t FrameReader::compact() {
  // Drop what has been handed out, once per wait for more bytes rather than per frame.
  buffer_.erase(0, consumed_);
  consumed_ = 0;
  return std::nullopt;
}

std::string encode(const PopplerInfo& info) {
  Encoder e;
  e.u32(info.locked ? 1 : 0);
  e.i32(info.page_count);
  e.str(info.pdf_version);
  e.str(info.title);
  e.str(info.producer);
  e.u32(static_cast<std::uint32_t>(info.page_costs.size()));
  for (const std::uint32_t cost : info.page_costs) e.u32(cost);
  return std::move(e.bytes());
}

std::string encode(const PodofoInfo& info) {
  Encoder e;
  e.i32(info.page_count);
  e.str(info.pdf_version);
  e.str(info.title);
  e.str(info.producer);
  return std::move(e.bytes());
}

std::string encode(const PageReply& page) {
  Encoder e;
  e.i32(page.page_number);
  e.i32(page.width);
  e.i32(page.height);
  e.f64(page.dpi);
  e.str(page.jpeg);
  e.f64(page.text.width);
  e.f64(page.text.height);
  e.u32(static_cast<std::uint32_t>(page.text.words.size()));
  for (const Word& w : page.text.words) {
    e.str(w.text);
    e.f64(w.x0);
    e.f64(w.y0);
    e.f64(w.x1);
    e.f64(w.y1);
    e.u32(static_cast<std::uint32_t>(w.rotation & 3));
  }
  e.u32(page.text.source == TextSource::ocr ? 1 : 0);
  e.i32(page.text.ocr_rotated_degrees);
  e.f64(page.text.ocr_skew_degrees);
  e.f64(page.text.ocr_confidence);
  e.str(page.text.ocr_error);
  e.f64(page.render_seconds);
  e.f64(page.ocr_seconds);
  return std::move(e.bytes());
}

std::string encode(const ErrorReply& error) {
  Encoder e;
  e.u32(static_cast<std::uint32_t>(error.code));
  e.str(error.message);
  return std::move(e.bytes());
}

std::string encode(const ImageReply& image) {
  Encoder e;
  e.i32(image.width);
  e.i32(image.height);
  e.str(image.jpeg);
  return std::move(e.bytes());
}

ImageReply decode_image(std::string_view payload) {
  Decoder d(payload);
  ImageReply image;
  image.width = d.i32();
  image.height = d.i32();
  image.jpeg = d.str();
  if (!d.done()) throw WireError("trailing bytes after an image");
  if (image.width <= 0 || image.height <= 0 || image.width > 65535 || image.height > 65535) {
    throw WireError("image size out of range");
  }
  return image;
}

PopplerInfo decode_poppler_info(std::string_view payload) {
  Decoder d(payload);
  PopplerInfo info;
  info.locked = d.u32() != 0;
  info.page_count = d.i32();
  info.pdf_version = d.str();
  info.title = d.str();
  info.producer = d.str();
  const std::uint32_t costs = d.u32();
  if (costs > d.remaining() / sizeof(std::uint32_t)) throw WireError("truncated page costs");
  if (costs != 0 && (info.page_count < 0 || costs != static_cast<std::uint32_t>(info.page_count))) {
    throw WireError("page costs do not match the page count");
  }
  info.page_costs.reserve(costs);
  for (std::uint32_t i = 0; i < costs; ++i) info.page_costs.push_back(d.u32());
  return info;
}

PodofoInfo decode_podofo_info(std::string_view payload) {
  Decoder d(payload);
  PodofoInfo info;
  info.page_count = d.i32();
  info.pdf_version = d.str();
  info.title = d.str();
  info.producer = d.str();
  return info;
}

PageReply decode_page(std::string_view payload) {
  Decoder d(payload);
  PageReply page;
  page.page_number = d.i32();
  page.width = d.i32();
  page.height = d.i32();
  page.dpi = d.f64();
  page.jpeg = d.str();
  page.text.page_number = page.page_number;
  page.text.width = d.f64();
  page.text.height = d.f64();
  const std::uint32_t n = d.u32();
  // Each word takes at least 40 bytes: a count larger than that is a lie, not a reason to
  // reserve gigabytes.
  if (n > payload.size() / 40) throw WireError("implausible word count");
  page.text.words.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    Word w;
    w.text = d.str();
    w.x0 = d.f64();
    w.y0 = d.f64();
    w.x1 = d.f64();
    w.y1 = d.f64();
    w.rotation = static_cast<int>(d.u32() & 3);
    page.text.words.push_back(std::move(w));
  }
  page.text.source = d.u32() == 1 ? TextSource::ocr : TextSource::text_layer;
  page.text.ocr_rotated_degrees = d.i32();
  page.text.ocr_skew_degrees = d.f64();
  page.text.ocr_confidence = d.f64();
  page.text.ocr_error = d.str();
  // !(x >= 0) also catches NaN.
  auto seconds = [](double x) { return !(x >= 0) ? 0 : std::min(x, kMaxReportedSeconds); };
  page.render_seconds = seconds(d.f64());
  page.ocr_seconds = seconds(d.f64());
  return page;
}

ErrorReply decode_error(std::string_view payload) {
  Decoder d(payload);
  ErrorReply error;
  error.code = static_cast<ChildError>(d.u32());
  error.message = d.str();
  return error;
}

}  // namespace examq::pdf::wire
