// open_ocr_engine (ocr_engine.h): finds and loads examq-ocr.so once per render child.

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <vector>

#include "pdf/ocr_engine.h"

namespace examq::pdf {
namespace {

std::string executable_dir() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return ".";
  const std::string exe(path, static_cast<std::size_t>(n));
  return exe.substr(0, exe.rfind('/'));
}

// Next to examq-render in the build tree, in lib/examq once installed (EXAMQ_MODULE_FROM_HELPER
// is the relative path from the helper's directory, set by the build).
OcrModuleEntry load_entry() {
  static OcrModuleEntry entry = nullptr;
  if (entry) return entry;
  const std::string dir = executable_dir();
  std::string tried;
  for (const std::string& path : {dir + "/" + kOcrModuleName, dir + "/" EXAMQ_MODULE_FROM_HELPER "/" + kOcrModuleName}) {
    if (access(path.c_str(), R_OK) != 0) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!module) throw OcrUnavailable(std::string("cannot load the OCR module: ") + dlerror());
    entry = reinterpret_cast<OcrModuleEntry>(dlsym(module, kOcrModuleEntry));
    if (!entry) throw OcrUnavailable(path + " is not examq's OCR module");
    return entry;
  }
  throw OcrUnavailable(std::string("the OCR module ") + kOcrModuleName + " is not installed (looked for " + tried + ")");
}

}  // namespace

std::unique_ptr<OcrEngine> open_ocr_engine(const OcrSettings& settings) {
  std::string error;
  OcrEngine* engine = load_entry()(settings, error);
  if (!engine) throw OcrUnavailable(error.empty() ? "the OCR engine could not be started" : error);
  return std::unique_ptr<OcrEngine>(engine);
}

}  // namespace examq::pdf
