#pragma once
// The textual UUID check every part that takes an id from outside uses before it reaches SQL.

#include <string_view>

namespace examq::util {

// True for the canonical 8-4-4-4-12 hex form (either case), which is what `::uuid` accepts from
// us; anything else is refused before a query, with the caller's own message.
bool is_uuid(std::string_view s);

}  // namespace examq::util
