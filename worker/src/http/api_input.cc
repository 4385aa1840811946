#include "http/api_input.h"

#include "util/uuid.h"

#include <regex>

namespace examq::http {

using beast_http::status;

std::string require_uuid(const std::string& value, const std::string& what) {
  if (!is_uuid(value)) throw ApiError(status::bad_request, what + " must be a UUID");
  return value;
}

int bounded_int(const std::string& text, const std::string& what, long lo, long hi) {
  try {
    std::size_t used = 0;
    const long v = std::stol(text, &used);
    if (used == text.size() && v >= lo && v <= hi) return static_cast<int>(v);
  } catch (const std::exception&) {
  }
  throw ApiError(status::bad_request, what + " must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi));
}

Response raw_json(status s, const std::string& json_text) {
  Response res{s, 11};
  res.set(beast_http::field::content_type, "application/json");
  res.set(beast_http::field::cache_control, "no-store");
  res.body() = json_text;
  return res;
}

PageCursor page_cursor(const Request& r) {
  PageCursor c;
  if (const std::string* v = r.query_value("cursor"); v != nullptr && !v->empty()) {
    static const std::regex re(R"(^(\d{1,19})_([0-9a-fA-F-]{36})$)");
    std::smatch m;
    if (!std::regex_match(*v, m, re) || !is_uuid(m[2].str())) throw ApiError(status::bad_request, "cursor is not one this server returned");
    c.micros = m[1];
    c.id = m[2];
  }
  return c;
}

tao::json::value cut_page(tao::json::value& rows, int limit, const std::string& micros_key) {
  auto& arr = rows.get_array();
  tao::json::value next = tao::json::null;
  if (arr.size() > static_cast<std::size_t>(limit)) {
    arr.resize(static_cast<std::size_t>(limit));
    const auto& last = arr.back();
    next = std::to_string(last.at(micros_key).as<std::int64_t>()) + "_" + last.at("id").get_string();
  }
  for (auto& row : arr) row.get_object().erase(micros_key);
  return next;
}

}  // namespace examq::http
