#include "pdf/splash_page_renderer.h"

#include <poppler/Error.h>
#include <poppler/ErrorCodes.h>
#include <poppler/GlobalParams.h>
#include <poppler/PDFDoc.h>
#include <poppler/Page.h>
#include <poppler/SplashOutputDev.h>
#include <poppler/Stream.h>
#include <poppler/TextOutputDev.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/splash/SplashBitmap.h>

#include <algorithm>
#include <climits>
#include <set>
#include <stdexcept>

namespace examq::pdf {
namespace {

void ignore_poppler_error(ErrorCategory, Goffset, const char*) {}

std::string utf8(const poppler::ustring& s) {
  const poppler::byte_array bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

// poppler-cpp 22.12's detail::unicode_GooString_to_ustring: UTF-16BE after a byte-order mark,
// otherwise one code unit per byte (Latin-1, not PDFDocEncoding). Converted to UTF-8 by the same
// ustring::to_utf8() as before, so titles come out byte for byte as they did.
std::string info_string(const GooString* s) {
  if (s == nullptr) return {};
  const char* data = s->c_str();
  const int len = s->getLength();
  const bool is_unicode = len > 1 && (data[0] & 0xff) == 0xfe && (data[1] & 0xff) == 0xff;
  int i = is_unicode ? 2 : 0;
  poppler::ustring out;
  out.reserve(static_cast<std::size_t>(len));
  if (is_unicode) {
    // An odd trailing byte is dropped, as poppler-cpp's string of (len - 2) / 2 units drops it.
    for (; i + 1 < len; i += 2) {
      out.push_back(static_cast<unsigned short>(((data[i] & 0xff) << 8) | (data[i + 1] & 0xff)));
    }
  } else {
    for (; i < len; ++i) out.push_back(static_cast<unsigned short>(data[i] & 0xff));
  }
  return utf8(out);
}

// poppler-cpp hands a word to ustring::from_utf8() and we take it back with to_utf8(): the
// identity for ASCII, so only other words pay for the two iconv conversions.
std::string word_text(const GooString& text) {
  const char* c = text.c_str();
  bool ascii = true;
  for (const char* p = c; *p != '\0'; ++p) {
    if (static_cast<unsigned char>(*p) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return std::string(c);
  return utf8(poppler::ustring::from_utf8(c));
}

std::runtime_error unreadable_page(int page_number) {
  return std::runtime_error("page " + std::to_string(page_number) + " cannot be read");
}

// The weights of estimated_cost(), from pdftoppm's per-page times on the corpus's
// tracemonkey.pdf: a text page ~15 ms whatever its length; its page of 81 smooth shadings in
// 390 KB of forms ~65 ms; its page of 50 tiling patterns ~120 ms.
constexpr double kBaseMicros = 15'000;
constexpr double kMicrosPerContentByte = 0.125;
constexpr double kMicrosPerImagePixel = 0.01;
constexpr double kMicrosPerPattern = 2'000;
constexpr double kMicrosPerShading = 400;
// Bounds on the walk through a hostile file's resources (forms nest forms, and may loop).
constexpr int kMaxFormDepth = 4;
constexpr int kMaxXObjectsPerPage = 2'000;

long long stream_length(const Object& stream) {
  if (!stream.isStream()) return 0;
  BaseStream* base = stream.getStream()->getBaseStream();
  return base == nullptr ? 0 : std::max<long long>(0, base->getLength());
}

// Adds up what a resource dictionary draws (and, through form XObjects, what those draw).
struct CostWalk {
  double micros = 0;
  int xobjects = 0;
  std::set<Ref> seen;  // XObjects counted once, however often they are listed

  void resources(Dict* dict, int depth) {
    if (dict == nullptr) return;
    if (const Object patterns = dict->lookup("Pattern"); patterns.isDict()) {
      micros += kMicrosPerPattern * patterns.dictGetLength();
    }
    if (const Object shadings = dict->lookup("Shading"); shadings.isDict()) {
      micros += kMicrosPerShading * shadings.dictGetLength();
    }
    const Object xobjects = dict->lookup("XObject");
    if (!xobjects.isDict()) return;
    for (int i = 0; i < xobjects.dictGetLength() && this->xobjects < kMaxXObjectsPerPage; ++i) {
      ++this->xobjects;
      const Object& ref = xobjects.getDict()->getValNF(i);
      if (ref.isRef() && !seen.insert(ref.getRef()).second) continue;
      const Object xobject = xobjects.getDict()->getVal(i);
      if (!xobject.isStream()) continue;
      Dict* x = xobject.streamGetDict();
      const Object subtype = x->lookup("Subtype");
      if (subtype.isName("Image")) {
        const double width = std::max(0.0, x->lookup("Width").getNumWithDefaultValue(0));
        const double height = std::max(0.0, x->lookup("Height").getNumWithDefaultValue(0));
        micros += kMicrosPerImagePixel * std::min(width * height, 1e9);
      } else if (subtype.isName("Form")) {
        micros += kMicrosPerContentByte * static_cast<double>(stream_length(xobject));
        if (depth < kMaxFormDepth) {
          const Object inner = x->lookup("Resources");
          if (inner.isDict()) resources(inner.getDict(), depth + 1);
        }
      }
    }
  }
};

}  // namespace

SplashPageRenderer::SplashPageRenderer()
    : global_params_(std::make_unique<GlobalParamsIniter>(ignore_poppler_error)) {}

SplashPageRenderer::~SplashPageRenderer() {
  // The devices refer to the document; the document to the global parameters.
  rgb_.reset();
  gray_.reset();
  doc_.reset();
}

std::unique_ptr<SplashPageRenderer> SplashPageRenderer::open(std::string_view pdf) {
  // Same rules as poppler::document::load_from_raw_data in 22.12.
  if (pdf.data() == nullptr || pdf.size() < 10 || pdf.size() > static_cast<std::size_t>(INT_MAX)) {
    return nullptr;
  }
  std::unique_ptr<SplashPageRenderer> renderer(new SplashPageRenderer());
  // The document owns the stream; the stream does not copy the bytes.
  auto* stream = new MemStream(pdf.data(), 0, static_cast<Goffset>(pdf.size()), Object(objNull));
  renderer->doc_ = std::make_unique<PDFDoc>(stream);
  if (!renderer->doc_->isOk()) {
    if (renderer->doc_->getErrorCode() != errEncrypted) return nullptr;
    renderer->locked_ = true;
  }
  return renderer;
}

int SplashPageRenderer::page_count() const { return doc_->getNumPages(); }

std::string SplashPageRenderer::pdf_version() const {
  return std::to_string(doc_->getPDFMajorVersion()) + "." +
         std::to_string(doc_->getPDFMinorVersion());
}

std::string SplashPageRenderer::title() const { return info_string(doc_->getDocInfoTitle().get()); }

std::string SplashPageRenderer::producer() const {
  return info_string(doc_->getDocInfoProducer().get());
}

void SplashPageRenderer::page_size(int page_number, double& width, double& height) const {
  if (page_number < 1 || page_number > doc_->getNumPages()) throw unreadable_page(page_number);
  Page* page = doc_->getPage(page_number);
  if (page == nullptr) throw unreadable_page(page_number);
  const PDFRectangle* box = page->getCropBox();
  const double w = box->x2 - box->x1;
  const double h = box->y2 - box->y1;
  const int rotate = page->getRotate();
  const bool sideways = rotate == 90 || rotate == 270;
  width = sideways ? h : w;
  height = sideways ? w : h;
}

std::uint32_t SplashPageRenderer::estimated_cost(int page_number) {
  if (page_number < 1 || page_number > doc_->getNumPages()) return 0;
  Page* page = doc_->getPage(page_number);
  if (page == nullptr) return 0;
  CostWalk walk;
  walk.micros = kBaseMicros;
  const Object contents = page->getContents();
  if (contents.isStream()) {
    walk.micros += kMicrosPerContentByte * static_cast<double>(stream_length(contents));
  } else if (contents.isArray()) {
    for (int i = 0; i < contents.arrayGetLength() && i < kMaxXObjectsPerPage; ++i) {
      walk.micros += kMicrosPerContentByte * static_cast<double>(stream_length(contents.arrayGet(i)));
    }
  }
  walk.resources(page->getResourceDict(), 0);
  return static_cast<std::uint32_t>(std::min<double>(walk.micros, UINT32_MAX));
}

std::vector<Word> SplashPageRenderer::words(int page_number) {
  // poppler-cpp 22.12 page::text_list(): the same device settings and the same slice call.
  TextOutputDev text(nullptr, false, 0, false, false);
  doc_->displayPageSlice(&text, page_number, 72, 72, 0, false, false, false, -1, -1, -1, -1,
                         nullptr, nullptr, nullptr, nullptr, true);
  const std::unique_ptr<TextWordList> list = text.makeWordList();
  std::vector<Word> words;
  words.reserve(static_cast<std::size_t>(list->getLength()));
  for (int i = 0; i < list->getLength(); ++i) {
    const TextWord* word = list->get(i);
    const std::unique_ptr<GooString> s(word->getText());
    double x0, y0, x1, y1;
    word->getBBox(&x0, &y0, &x1, &y1);
    // poppler-cpp keeps (x, y, width, height) and right() adds them back: not always x1 to
    // the last bit, and the words must come out exactly as they did.
    const double width = x1 - x0, height = y1 - y0;
    words.push_back(Word{word_text(*s), x0, y0, x0 + width, y0 + height, word->getRotation()});
  }
  return words;
}

SplashOutputDev& SplashPageRenderer::device(PixelMode mode) {
  std::unique_ptr<SplashOutputDev>& dev = mode == PixelMode::rgb24 ? rgb_ : gray_;
  if (!dev) {
    SplashColor paper;
    paper[0] = paper[1] = paper[2] = 0xff;
    paper[3] = 0;
    dev = std::make_unique<SplashOutputDev>(
        mode == PixelMode::rgb24 ? splashModeRGB8 : splashModeMono8, 4, false, paper, true,
        splashThinLineDefault);
    dev->setFontAntialias(true);
    dev->setFreeTypeHinting(false, false);
    dev->setVectorAntialias(true);
    dev->startDoc(doc_.get());
  }
  return *dev;
}

BitmapView SplashPageRenderer::render(int page_number, double dpi, PixelMode mode) {
  SplashOutputDev& dev = device(mode);
  doc_->displayPageSlice(&dev, page_number, dpi, dpi, 0, false, true, false, -1, -1, -1, -1,
                         nullptr, nullptr, nullptr, nullptr, false);
  SplashBitmap* bitmap = dev.getBitmap();
  if (bitmap == nullptr || bitmap->getDataPtr() == nullptr) return {};
  return BitmapView{bitmap->getDataPtr(), bitmap->getWidth(), bitmap->getHeight(),
                    bitmap->getRowSize()};
}

void SplashPageRenderer::release_bitmap(PixelMode mode) {
  std::unique_ptr<SplashOutputDev>& dev = mode == PixelMode::rgb24 ? rgb_ : gray_;
  // takeBitmap() leaves a 1x1 bitmap behind; the next page allocates its own size again.
  if (dev) delete dev->takeBitmap();
}

}  // namespace examq::pdf
