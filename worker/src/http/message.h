#pragma once
// What a route handler sees and returns: the parsed request with its verified caller, and a
// response. Handlers never touch sockets; the server owns the connection.

#include "http/jwt.h"

#include <boost/beast/http.hpp>
#include <tao/json/value.hpp>

#include <map>
#include <optional>
#include <string>

namespace examq::http {

namespace beast_http = boost::beast::http;
using RawRequest = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

struct Request {
  const RawRequest& raw;
  std::string path;                            // without the query, percent-decoded once
  std::map<std::string, std::string> query;    // decoded; a repeated key keeps the last value
  std::map<std::string, std::string> params;   // from the route pattern ({id} -> value)
  std::optional<Claims> caller;                // set on every route but /healthz

  const std::string* query_value(const std::string& key) const {
    auto it = query.find(key);
    return it == query.end() ? nullptr : &it->second;
  }
};

// An error a handler throws to answer with {"success": false, "error": message} and status.
struct ApiError : std::runtime_error {
  ApiError(beast_http::status s, const std::string& message) : std::runtime_error(message), status(s) {}
  beast_http::status status;
};

// A JSON response; keep-alive and the version are set by the server.
Response json_response(beast_http::status status, const tao::json::value& body);
// {"success": false, "error": message}
Response error_response(beast_http::status status, const std::string& message);

}  // namespace examq::http
