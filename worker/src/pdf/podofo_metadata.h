#pragma once

// Child-side only: runs inside examq-render (see sandbox.h).

#include <string>
#include <string_view>
#include <variant>

#include "pdf/document_info.h"

namespace examq::pdf {

// Title, producer, page count and version as PoDoFo 0.9.8 reads them, or the reason PoDoFo
// rejected the file (it is stricter than Poppler: a rejection is not a failed job).
std::variant<PodofoInfo, std::string> read_podofo_info(std::string_view pdf);

}  // namespace examq::pdf
