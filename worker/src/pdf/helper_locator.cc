#include "pdf/helper_locator.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "pdf/pdf_error.h"

namespace examq::pdf {

std::string locate_render_helper(const std::string& configured) {
  std::string path = configured;
  if (path.empty()) {
    if (const char* env = std::getenv("EXAMQ_RENDER_HELPER"); env != nullptr && *env != '\0') {
      path = env;
    }
  }
  if (path.empty()) {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
      throw PdfError(PdfErrorKind::sandbox_unavailable,
                     "cannot locate examq-render: /proc/self/exe is unreadable");
    }
    // Next to examq in the build tree; in libexec/examq once installed (EXAMQ_HELPER_FROM_BIN is
    // the relative path from bin, set by the build).
    const std::string beside = (self.parent_path() / "examq-render").string();
    const std::string installed = (self.parent_path() / EXAMQ_HELPER_FROM_BIN / "examq-render").lexically_normal().string();
    if (access(beside.c_str(), X_OK) == 0) return beside;
    if (access(installed.c_str(), X_OK) == 0) return installed;
    throw PdfError(PdfErrorKind::sandbox_unavailable,
                   "renderer helper not found or not executable: " + beside + " or " + installed);
  }
  if (access(path.c_str(), X_OK) != 0) {
    throw PdfError(PdfErrorKind::sandbox_unavailable,
                   "renderer helper not found or not executable: " + path);
  }
  return path;
}

}  // namespace examq::pdf
