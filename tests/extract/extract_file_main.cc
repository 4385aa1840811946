// examq-extract-file: runs the embedded "text" extractor on PDF files read with Poppler the way the
// sandboxed renderer reads them, without a database or a worker. For tuning and for bench/realpapers:
//   examq-extract-file paper.pdf            JSON rows as stored in `questions` (number, marks, page, text)
//   examq-extract-file --lines paper.pdf    the lines the segmenter sees, page by page (debugging)
//   --ocr                                   pages without a usable text layer are read by
//                                           Tesseract at 300 DPI as the render children do
//   --words-cache FILE                      keep the pages' words (after OCR) in FILE, and read
//                                           them from it when it exists: OCR once, tune often
// Unlike the worker it does not sandbox Poppler or Tesseract: run it on files you trust.

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <tao/json.hpp>

#include "extract/dot_leaders.h"
#include "extract/line_builder.h"
#include "extract/page_furniture.h"
#include "extract/reading_order.h"
#include "extract/text_extractor.h"
#include "pdf/ocr_engine.h"
#include "pdf/ocr_words.h"
#include "pdf/poppler_renderer.h"
#include "poppler_words.h"

#include <poppler/cpp/poppler-global.h>

namespace ex = examq::extract;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Pages as the render children give them: the text layer, or OCR where it is unusable.
std::vector<examq::pdf::PageText> ocr_pages(const std::string& bytes) {
  namespace pdf = examq::pdf;
  auto renderer = pdf::PopplerRenderer::open(bytes, 80);
  if (!renderer) throw std::runtime_error("Poppler could not load the PDF");
  const auto info = renderer->info();
  std::unique_ptr<pdf::OcrEngine> engine;
  std::vector<pdf::PageText> out;
  for (int p = 1; p <= info.page_count; ++p) {
    pdf::PageRenderSettings settings;
    settings.render_image = false;
    auto reply = renderer->render(p, settings);
    pdf::PageText text = std::move(reply.text);
    text.page_number = p;
    if (!pdf::has_usable_text_layer(text)) {
      const auto bitmap = renderer->render_gray(p, 300, 40'000'000);
      if (pdf::has_unread_ink(bitmap, text)) {
        if (!engine) engine = pdf::open_ocr_engine({});
        auto ocr = engine->recognise(bitmap);
        text = std::move(ocr.text);
        text.page_number = p;
        text.source = pdf::TextSource::ocr;
        text.ocr_confidence = ocr.mean_confidence;
        text.ocr_rotated_degrees = ocr.rotated_degrees;
      }
    }
    out.push_back(std::move(text));
  }
  return out;
}

tao::json::value to_json(const std::vector<examq::pdf::PageText>& pages) {
  tao::json::value out = tao::json::empty_array;
  for (const auto& p : pages) {
    tao::json::value words = tao::json::empty_array;
    for (const auto& w : p.words)
      words.get_array().push_back(tao::json::value::array({w.text, w.x0, w.y0, w.x1, w.y1, w.rotation}));
    out.get_array().push_back({{"page", p.page_number},
                               {"width", p.width},
                               {"height", p.height},
                               {"ocr", p.source == examq::pdf::TextSource::ocr},
                               {"confidence", p.ocr_confidence},
                               {"words", std::move(words)}});
  }
  return out;
}

std::vector<examq::pdf::PageText> from_json(const tao::json::value& v) {
  std::vector<examq::pdf::PageText> out;
  for (const auto& p : v.get_array()) {
    examq::pdf::PageText t;
    t.page_number = static_cast<int>(p.at("page").as<std::int64_t>());
    t.width = p.at("width").as<double>();
    t.height = p.at("height").as<double>();
    t.source = p.at("ocr").get_boolean() ? examq::pdf::TextSource::ocr : examq::pdf::TextSource::text_layer;
    t.ocr_confidence = p.at("confidence").as<double>();
    for (const auto& w : p.at("words").get_array()) {
      const auto& a = w.get_array();
      t.words.push_back({a[0].get_string(), a[1].as<double>(), a[2].as<double>(), a[3].as<double>(), a[4].as<double>(),
                         static_cast<int>(a[5].as<std::int64_t>())});
    }
    out.push_back(std::move(t));
  }
  return out;
}

void dump_lines(const std::vector<examq::pdf::PageText>& pages) {
  const auto regions = ex::layout_paper(pages, nullptr, {});
  int page = 0;
  for (const auto& r : regions) {
    if (r.page_number != page) {
      page = r.page_number;
      std::cout << "==== page " << page << "\n";
    }
    std::cout << "-- region kind " << static_cast<int>(r.kind) << " margin " << r.margin << "\n";
    for (const auto& l : r.lines) {
      std::printf("%6.1f %6.1f %5.1f| ", l.x0, l.y0, l.y1 - l.y0);
      double prev = -1;
      for (const auto& w : l.words) {
        if (prev >= 0 && w.x0 - prev > 12) std::cout << " ~";
        std::cout << " " << w.text;
        prev = w.x1;
      }
      std::cout << "\n";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool lines = false, ocr = false;
  std::string path, cache;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--lines") lines = true;
    else if (a == "--ocr") ocr = true;
    else if (a == "--words-cache" && i + 1 < argc) cache = argv[++i];
    else path = a;
  }
  if (path.empty()) {
    std::cerr << "usage: examq-extract-file [--lines] paper.pdf\n";
    return 2;
  }
  // Poppler's complaints about damaged content streams are not what this tool is for.
  poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr);
  try {
    std::vector<examq::pdf::PageText> pages;
    if (!cache.empty() && std::ifstream(cache)) {
      pages = from_json(tao::json::from_string(read_file(cache)));
    } else {
      const std::string bytes = read_file(path);
      pages = ocr ? ocr_pages(bytes) : examq::test::poppler_words(bytes);
      if (!cache.empty()) std::ofstream(cache) << tao::json::to_string(to_json(pages));
    }
    if (lines) {
      for (const auto& p : pages)
        if (p.source == examq::pdf::TextSource::ocr)
          std::cout << "# page " << p.page_number << " read by OCR, confidence " << p.ocr_confidence << "\n";
      dump_lines(pages);
      return 0;
    }
    const auto questions = ex::TextExtractor().extract(pages, nullptr, {});
    tao::json::value rows = tao::json::empty_array;
    for (const auto& q : questions) {
      tao::json::value row = {{"question_number", q.number},
                              {"parent_number", q.parent_number},
                              {"page_number", q.page_number},
                              {"text", q.text}};
      if (q.marks) row["marks"] = *q.marks;
      else row["marks"] = tao::json::null;
      rows.get_array().push_back(std::move(row));
    }
    std::cout << tao::json::to_string(rows, 1) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "examq-extract-file: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
