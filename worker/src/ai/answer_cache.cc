#include "ai/answer_cache.h"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>

namespace examq::ai {

AnswerCache::AnswerCache(std::size_t capacity) : capacity_(capacity) {}

AnswerCache::Key AnswerCache::key_for(std::string_view url, std::string_view body) {
  Key key{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) throw std::bad_alloc();
  unsigned int len = 0;
  const char separator = '\0';
  bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, url.data(), url.size()) == 1 &&
            EVP_DigestUpdate(ctx, &separator, 1) == 1 &&
            EVP_DigestUpdate(ctx, body.data(), body.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, key.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len != key.size()) throw std::runtime_error("SHA-256 failed");
  return key;
}

std::size_t AnswerCache::KeyHash::operator()(const Key& k) const {
  std::size_t h = 0;
  std::memcpy(&h, k.data(), sizeof h);  // already a uniform hash
  return h;
}

std::optional<tao::json::value> AnswerCache::find(const Key& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void AnswerCache::insert(const Key& key, tao::json::value answer) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->second = std::move(answer);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.emplace_front(key, std::move(answer));
  index_.emplace(key, lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

std::size_t AnswerCache::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace examq::ai
