// examq-rasterise: turns a PDF into an image-only PDF, every page rendered in grayscale by
// Poppler (as `pdftoppm -r DPI -gray` would) and stored back with no text layer: a clean scan of
// a born-digital paper, to measure the OCR path against the paper's own truth.
//   examq-rasterise in.pdf out.pdf [--dpi 200]

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "scanned_paper.h"

int main(int argc, char** argv) {
  std::string in, out;
  double dpi = 200;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dpi" && i + 1 < argc) dpi = std::stod(argv[++i]);
    else if (in.empty()) in = a;
    else out = a;
  }
  if (in.empty() || out.empty()) {
    std::cerr << "usage: examq-rasterise in.pdf out.pdf [--dpi 200]\n";
    return 2;
  }
  try {
    std::ifstream f(in, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + in);
    std::ostringstream bytes;
    bytes << f.rdbuf();
    examq::fixtures::ScanSettings settings;
    settings.dpi = dpi;
    std::ofstream(out, std::ios::binary) << examq::fixtures::scan_pdf(bytes.str(), settings);
  } catch (const std::exception& e) {
    std::cerr << "examq-rasterise: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << "examq-rasterise: PoDoFo failed\n";
    return 1;
  }
  return 0;
}
