// examq-extract-file: runs the embedded "text" extractor on PDF files read with Poppler the way the
// sandboxed renderer reads them, without a database or a worker. For tuning and for bench/realpapers:
//   examq-extract-file paper.pdf            JSON rows as stored in `questions` (number, marks, page, text)
//   examq-extract-file --lines paper.pdf    the lines the segmenter sees, page by page (debugging)
// Unlike the worker it does not sandbox Poppler: run it on files you trust.

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
  bool lines = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--lines") lines = true;
    else path = a;
  }
  if (path.empty()) {
    std::cerr << "usage: examq-extract-file [--lines] paper.pdf\n";
    return 2;
  }
  // Poppler's complaints about damaged content streams are not what this tool is for.
  poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr);
  try {
    const std::string bytes = read_file(path);
    const auto pages = examq::test::poppler_words(bytes);
    if (lines) {
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
