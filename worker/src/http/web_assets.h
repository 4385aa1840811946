#pragma once
// The web page's files (worker/src/http/web/), compiled into the binary so `examq serve` needs
// nothing on disk. Generated at configure time by worker/src/http/CMakeLists.txt.

#include <string_view>
#include <vector>

namespace examq::http {

struct WebAsset {
  std::string_view name;          // "index.html", "app.js", ...
  std::string_view content_type;
  std::string_view body;
};

const std::vector<WebAsset>& web_assets();
const WebAsset* find_web_asset(std::string_view name);

}  // namespace examq::http
