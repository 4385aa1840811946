#include "notify/smtp_sender.h"

#include "ai/http_transfer.h"
#include "handlers/handler.h"
#include "pipeline/url_fetcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace examq::notify {
namespace {

using handlers::JobError;

struct Upload {
  const std::string* data;
  std::size_t sent = 0;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t nitems, void* userdata) {
  auto* up = static_cast<Upload*>(userdata);
  const std::size_t n = std::min(size * nitems, up->data->size() - up->sent);
  std::memcpy(buffer, up->data->data() + up->sent, n);
  up->sent += n;
  return n;
}

std::string host_of(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  char* out = nullptr;
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(u.get(), CURLUPART_HOST, &out, 0) != CURLUE_OK) {
    return "";
  }
  std::string s(out);
  curl_free(out);
  return s;
}

}  // namespace

bool loopback_host(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "[::1]" || host == "::1";
}

void send_email(const SmtpServer& server, const std::string& from, const std::string& to, const std::string& message) {
  ai::ensure_curl_initialised();
  const std::string shown = pipeline::redact_url(server.url);
  const std::string what = "sending email to " + to + " via " + shown;
  const std::string host = host_of(server.url);
  if (host.empty()) throw JobError(what + " failed: EXAMQ_SMTP_URL is not a valid URL", true);

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw JobError("libcurl could not start", false);
  CURL* h = curl.get();
  const std::string mail_from = "<" + from + ">";
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(curl_slist_append(nullptr, ("<" + to + ">").c_str()),
                                                                    curl_slist_free_all);
  Upload upload{&message};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_URL, server.url.c_str());
  if (!server.user.empty()) curl_easy_setopt(h, CURLOPT_USERNAME, server.user.c_str());
  if (!server.password.empty()) curl_easy_setopt(h, CURLOPT_PASSWORD, server.password.c_str());
  // smtps:// is TLS anyway; for smtp:// this makes STARTTLS a requirement, not a wish, so a
  // man in the middle cannot strip it. Loopback is the one exception (see smtp_sender.h).
  curl_easy_setopt(h, CURLOPT_USE_SSL, loopback_host(host) ? static_cast<long>(CURLUSESSL_TRY) : static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // we are multi-threaded
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(server.timeout).count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);

  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return;
  long reply = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
  std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
  // The last reply, when it was a refusal (a 2xx or 3xx one, such as EHLO's, explains nothing).
  if (reply >= 400 && why.find(std::to_string(reply)) == std::string::npos) why += " (SMTP " + std::to_string(reply) + ")";
  const bool critical = rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED || rc == CURLE_PEER_FAILED_VERIFICATION ||
                        rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_SSL_CACERT_BADFILE;
  if (rc == CURLE_USE_SSL_FAILED) why = "the server offers no STARTTLS, which smtp:// requires (use smtps:// or a server that offers it)";
  throw JobError(what + " failed: " + why, critical);
}

}  // namespace examq::notify
