#pragma once
// A fake provider: a FakeHttpServer that reads every request in the provider's wire format
// (answering 400 to anything the real API would reject, as it would) and lets the test script
// each answer by batch and attempt. It also keeps the provider's prompt cache (cache_uses()). Also the fake "paper" whose questions the model reads.

#include <functional>
#include <map>
#include <stdexcept>
#include <mutex>
#include <string>
#include <vector>

#include <tao/json/to_string.hpp>

#include "fake_http_server.h"
#include "provider_wire.h"

namespace examq::test {

// The questions printed on page p of the fake paper: question p (a stem) and its part p(a).
inline std::vector<FakeQuestion> paper_page(int p) {
  return {
      FakeQuestion{std::to_string(p), "", "Question " + std::to_string(p) + " is about the topic of page " + std::to_string(p) + ".",
                   std::nullopt, p, {}},
      FakeQuestion{std::to_string(p) + "(a)", std::to_string(p),
                   "Explain part (a) of question " + std::to_string(p) + " in full, using the data in the table.", p % 5 + 1, p, {}},
  };
}

// What a model reading `pages` answers: the rows of those pages. When `cut_last` is set, the
// part on the batch's last page is cut short, as a question running onto the next page would be.
inline std::vector<FakeQuestion> paper_rows(const std::vector<int>& pages, bool cut_last) {
  std::vector<FakeQuestion> rows;
  for (int p : pages) {
    for (FakeQuestion q : paper_page(p)) {
      if (cut_last && p == pages.back() && !q.parent_number.empty()) q.text = q.text.substr(0, 20);
      rows.push_back(std::move(q));
    }
  }
  return rows;
}

// A local server with a fixed context window that cuts a longer prompt silently, as Ollama does
// (its OpenAI-compatible endpoint ignores a per-request num_ctx): it counts the prompt (text
// characters / 4 plus `image_tokens` per image, its model's own image cost), and when that is
// over `context` it reports prompt_tokens = context and answers from what it kept, here nothing:
// a well-formed answer with no questions. Otherwise it reads the pages (see paper_rows).
template <typename Wire>
struct ContextLimitedModel {
  int context = 4096;
  int image_tokens = 1105;
  int paper_pages = 0;  // the paper's last page: its part is not cut short

  int prompt_tokens(const SentBatch& b) const {
    const std::size_t chars = b.instructions.size() + b.request_text.size() + tao::json::to_string(b.schema).size() +
                              8 * b.pages.size();  // "Page N" labels
    return static_cast<int>(chars / 4) + image_tokens * static_cast<int>(b.images.size());
  }
  bool cuts(const SentBatch& b) const { return prompt_tokens(b) > context; }
  FakeResponse operator()(const SentBatch& b, int) const {
    if (cuts(b)) return Wire::answer(answer_json({}, b.asks_for_topics), context, 12);
    return Wire::answer(answer_json(paper_rows(b.pages, b.pages.back() != paper_pages), b.asks_for_topics),
                        prompt_tokens(b), 200);
  }
};

template <typename Wire>
class FakeProvider {
 public:
  // Called for every well-formed request with the batch and its attempt number (1 for the first
  // request of a batch, identified by its first page).
  using Script = std::function<FakeResponse(const SentBatch&, int attempt)>;

  explicit FakeProvider(Script script, std::string key = Wire::default_key)
      : key_(std::move(key)), script_(std::move(script)), server_([this](const FakeRequest& r) { return handle(r); }) {}

  ai::AiConfig config() const { return Wire::config(server_, key_); }
  FakeHttpServer& server() { return server_; }
  const std::string& key() const { return key_; }

  std::vector<SentBatch> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }
  int bad_requests() const {
    std::lock_guard lock(mu_);
    return bad_requests_;
  }
  std::string last_bad_request() const {
    std::lock_guard lock(mu_);
    return last_bad_;
  }
  // What the provider's prompt cache did for each well-formed request, in arrival order (see
  // Wire::cache_use): it is looked up when a request arrives and written when its answer starts
  // (when the script returns), so requests in flight together cannot read each other's.
  std::vector<CacheUse> cache_uses() const {
    std::lock_guard lock(mu_);
    return cache_uses_;
  }

 private:
  FakeResponse handle(const FakeRequest& r) {
    SentBatch batch;
    int attempt = 0;
    try {
      batch = Wire::parse(r, key_);
    } catch (const BadRequest& e) {
      std::lock_guard lock(mu_);
      ++bad_requests_;
      last_bad_ = e.what();
      return reject_request<Wire>(e);
    }
    CacheUse use;
    {
      std::lock_guard lock(mu_);
      batches_.push_back(batch);
      attempt = ++attempts_[batch.pages.empty() ? 0 : batch.pages.front()];
      use = Wire::cache_use(batch, cache_ready());
      cache_uses_.push_back(use);
    }
    FakeResponse response = script_(batch, attempt);
    if (response.status == 200 && response.body.find("\"usage\"") != std::string::npos) {
      std::lock_guard lock(mu_);
      try {
        Wire::report_cache(response, use);
        // Written when the answer starts: after the response's delay (a model's reading time).
        std::vector<std::string> keys = cache_ready();
        Wire::remember(batch, keys);
        if (keys.size() > cache_ready().size()) {
          cached_.emplace_back(keys.back(), std::chrono::steady_clock::now() + response.delay);
        }
      } catch (const std::exception&) {
        // not a JSON answer (a test's deliberately broken body): left as it is
      }
    }
    if (batch.stream && !response.streamed) response = Wire::stream(response, batch);
    return response;
  }

  std::string key_;
  Script script_;
  mutable std::mutex mu_;
  std::vector<SentBatch> batches_;
  std::vector<CacheUse> cache_uses_;
  // The prompt cache's entries (Wire::remember) and when each becomes readable.
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> cached_;
  std::vector<std::string> cache_ready() const {  // mu_ held
    std::vector<std::string> keys;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [key, ready_at] : cached_) {
      if (ready_at <= now) keys.push_back(key);
    }
    return keys;
  }
  std::map<int, int> attempts_;
  int bad_requests_ = 0;
  std::string last_bad_;
  FakeHttpServer server_;  // last: stopped (and its threads joined) before the rest goes
};

}  // namespace examq::test
