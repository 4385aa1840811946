#include "http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

namespace examq::testing {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::unique_ptr<curl_slist, SlistDeleter> header_list(const std::vector<std::string>& headers) {
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  return std::unique_ptr<curl_slist, SlistDeleter>(list);
}

std::size_t append_body(char* p, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

std::size_t collect_header(char* p, std::size_t size, std::size_t n, void* out) {
  std::string line(p, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

}  // namespace

HttpResponse http_request(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                          const std::string& body) {
  HttpResponse r;
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  auto list = header_list(headers);
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  // A HEAD response announces a body it does not send: without NOBODY curl waits for it.
  if (method == "HEAD") curl_easy_setopt(c.get(), CURLOPT_NOBODY, 1L);
  if (method == "POST" || method == "PUT" || method == "PATCH" || !body.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c.get(), CURLOPT_NOPROXY, "*");
  const CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
  }
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

HttpResponse http_upload(const std::string& url, const std::vector<std::string>& headers, const std::vector<FormField>& fields) {
  HttpResponse r;
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  auto list = header_list(headers);
  curl_mime* mime = curl_mime_init(c.get());
  for (const FormField& f : fields) {
    curl_mimepart* part = curl_mime_addpart(mime);
    curl_mime_name(part, f.name.c_str());
    curl_mime_data(part, f.value.data(), f.value.size());
    if (!f.filename.empty()) {
      curl_mime_filename(part, f.filename.c_str());
      curl_mime_type(part, "application/pdf");
    }
  }
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MIMEPOST, mime);
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(c.get(), CURLOPT_NOPROXY, "*");
  const CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) r.error = curl_easy_strerror(rc);
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  curl_mime_free(mime);
  return r;
}

SseClient::SseClient(std::string url, std::vector<std::string> headers) : url_(std::move(url)), headers_(std::move(headers)) {
  thread_ = std::thread([this] {
    std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
    auto list = header_list(headers_);
    curl_easy_setopt(c.get(), CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list.get());
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, &SseClient::on_data);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, this);
    curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, &SseClient::on_progress);
    curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(c.get(), CURLOPT_NOPROXY, "*");
    handle_ = c.get();
    curl_easy_perform(c.get());
    long code = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &code);
    std::lock_guard lock(mu_);
    status_ = code;
    ended_ = true;
    changed_.notify_all();
  });
}

SseClient::~SseClient() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::size_t SseClient::on_data(char* p, std::size_t size, std::size_t n, void* self_v) {
  auto* self = static_cast<SseClient*>(self_v);
  if (self->stop_.load()) return 0;
  std::lock_guard lock(self->mu_);
  if (self->status_ == 0) curl_easy_getinfo(static_cast<CURL*>(self->handle_), CURLINFO_RESPONSE_CODE, &self->status_);
  self->raw_.append(p, size * n);
  self->parse_locked();
  self->changed_.notify_all();
  return size * n;
}

int SseClient::on_progress(void* self_v, long, long, long, long) {
  return static_cast<SseClient*>(self_v)->stop_.load() ? 1 : 0;
}

void SseClient::parse_locked() {
  for (;;) {
    const auto end = raw_.find("\n\n", parsed_);
    if (end == std::string::npos) return;
    std::string block = raw_.substr(parsed_, end - parsed_);
    parsed_ = end + 2;
    SseEvent e;
    bool any = false;
    std::size_t pos = 0;
    while (pos <= block.size()) {
      auto nl = block.find('\n', pos);
      if (nl == std::string::npos) nl = block.size();
      std::string line = block.substr(pos, nl - pos);
      pos = nl + 1;
      if (line.rfind("id: ", 0) == 0) e.id = line.substr(4), any = true;
      else if (line.rfind("event: ", 0) == 0) e.event = line.substr(7), any = true;
      else if (line.rfind("data: ", 0) == 0) e.data += line.substr(6), any = true;
    }
    e.at = std::chrono::steady_clock::now();
    if (any && !e.data.empty()) events_.push_back(std::move(e));
  }
}

bool SseClient::wait_for(const std::function<bool(const std::vector<SseEvent>&)>& pred, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return pred(events_) || ended_; });
  return pred(events_);
}

bool SseClient::wait_raw(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return raw_.find(text) != std::string::npos || ended_; });
  return raw_.find(text) != std::string::npos;
}

std::vector<SseEvent> SseClient::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

long SseClient::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

bool SseClient::ended() const {
  std::lock_guard lock(mu_);
  return ended_;
}

std::string SseClient::raw() const {
  std::lock_guard lock(mu_);
  return raw_;
}

}  // namespace examq::testing
