#include "ai/multi_pool.h"

#include <new>

#include "ai/http_transfer.h"

namespace examq::ai {

MultiPool::MultiPool(std::size_t max_idle) : max_idle_(max_idle) {}

MultiPool::~MultiPool() {
  for (CURLM* m : idle_) curl_multi_cleanup(m);
}

MultiPool::Lease MultiPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      CURLM* m = idle_.back();
      idle_.pop_back();
      return Lease(this, m);
    }
  }
  ensure_curl_initialised();
  CURLM* m = curl_multi_init();
  if (m == nullptr) throw std::bad_alloc();
  // HTTP/2 multiplexing (libcurl's default) lets a job's requests share one TLS connection.
  curl_multi_setopt(m, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
  return Lease(this, m);
}

void MultiPool::give_back(CURLM* multi) {
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(multi);
      return;
    }
  }
  curl_multi_cleanup(multi);
}

}  // namespace examq::ai
