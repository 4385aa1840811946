#pragma once

#include <string>

namespace examq::pdf {

// Where the examq-render helper is: `configured` if not empty, else $EXAMQ_RENDER_HELPER if set,
// else `examq-render` in the directory of the running executable (/proc/self/exe), where the
// build puts it, or in libexec/examq beside that directory's bin, where `cmake --install` does.
// Throws PdfError(sandbox_unavailable) when the chosen path is not an executable file.
std::string locate_render_helper(const std::string& configured);

}  // namespace examq::pdf
