#include "notify/webhook_sender.h"

#include "ai/http_transfer.h"
#include "handlers/handler.h"
#include "pipeline/connection_guard.h"
#include "pipeline/url_fetcher.h"

#include <curl/curl.h>

#include <memory>

namespace examq::notify {
namespace {

using handlers::JobError;

// The receiver's answer is not read: only its status matters.
std::size_t discard(char*, std::size_t size, std::size_t nmemb, void*) { return size * nmemb; }

std::string url_part(CURLU* u, CURLUPart part) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, 0) != CURLUE_OK) return "";
  std::string s(out);
  curl_free(out);
  return s;
}

}  // namespace

void post_webhook(const WebhookRequest& request, const pipeline::AddressPolicy& allow, util::Duration timeout) {
  ai::ensure_curl_initialised();
  const std::string shown = pipeline::redact_url(request.url);
  const std::string what = "webhook to " + shown;
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (curl_url_set(u.get(), CURLUPART_URL, request.url.c_str(), 0) != CURLUE_OK) {
    throw JobError(what + " failed: not a valid URL", true);
  }
  const std::string scheme = url_part(u.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") throw JobError(what + " failed: only http and https URLs", true);

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw JobError("libcurl could not start", false);
  CURL* h = curl.get();
  struct curl_slist* list = nullptr;
  for (const auto& line : request.headers) list = curl_slist_append(list, line.c_str());
  list = curl_slist_append(list, "Content-Type: application/json");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, curl_slist_free_all);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // we are multi-threaded
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "examq");
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  pipeline::ConnectionGuard guard(h, allow);
  try {
    guard.prepare(url_part(u.get(), CURLUPART_HOST), scheme, what);
  } catch (const pipeline::FetchError& e) {
    throw JobError(e.what(), !e.transient());
  }

  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK && guard.refused()) throw JobError(what + " refused: " + *guard.refused(), true);
  if (rc != CURLE_OK) {
    std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
    throw JobError(what + " failed: " + why, !pipeline::transient_transfer_error(rc));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return;
  if (status >= 300 && status < 400) {
    throw JobError(what + " failed: HTTP " + std::to_string(status) + " (redirects are not followed)", true);
  }
  const bool transient = status == 408 || status == 429 || status >= 500;
  throw JobError(what + " failed: HTTP " + std::to_string(status), !transient);
}

}  // namespace examq::notify
