#pragma once
// Request checks and response helpers shared by the API's handlers (api.cc, api_batches.cc): a
// bad request is refused with a clear 400 before the database is touched.

#include "http/caller_db.h"
#include "http/message.h"
#include "util/uuid.h"

#include <tao/json/value.hpp>

#include <optional>
#include <string>

namespace examq::http {

using util::is_uuid;
// `value` when it is a UUID, else ApiError 400 "<what> must be a UUID".
std::string require_uuid(const std::string& value, const std::string& what);
// `text` as an integer in [lo, hi], else ApiError 400 naming `what` and the range.
int bounded_int(const std::string& text, const std::string& what, long lo, long hi);

// A JSON body already serialised (by PostgreSQL, usually), never cached.
Response raw_json(beast_http::status s, const std::string& json_text);

// Keyset paging, newest first: the cursor is the last row's created_at in microseconds and id,
// "<micros>_<uuid>", as the server handed it out in nextCursor.
struct PageCursor {
  std::optional<std::string> micros;
  std::optional<std::string> id;
};
// The request's `cursor` parameter (none when absent or empty); ApiError 400 when it is not one
// this server returned.
PageCursor page_cursor(const Request& r);
// `rows` is a JSON array fetched with LIMIT limit + 1, each row carrying its cursor micros under
// `micros_key`: cuts it to `limit`, drops `micros_key` from every row, and returns the next cursor
// (null on the last page).
tao::json::value cut_page(tao::json::value& rows, int limit, const std::string& micros_key);

}  // namespace examq::http
