#pragma once
// libcurl multi handles kept between jobs. A multi handle owns its connection cache, so handing
// the same one to the next job lets it reuse the open (TLS, keep-alive, HTTP/2) connections to the
// provider instead of paying a new handshake per job. A handle is used by one thread at a time:
// libcurl does not share a connection cache across threads.

#include <curl/curl.h>

#include <mutex>
#include <vector>

namespace examq::ai {

class MultiPool {
 public:
  // Keeps at most max_idle handles (and their connections) between uses.
  explicit MultiPool(std::size_t max_idle);
  ~MultiPool();
  MultiPool(const MultiPool&) = delete;
  MultiPool& operator=(const MultiPool&) = delete;

  // Exclusive use of one handle until destroyed. The user removes its easy handles before.
  class Lease {
   public:
    Lease(MultiPool* pool, CURLM* multi) : pool_(pool), multi_(multi) {}
    Lease(const Lease&) = delete;
    ~Lease() { pool_->give_back(multi_); }
    CURLM* get() const { return multi_; }

   private:
    MultiPool* pool_;
    CURLM* multi_;
  };

  // Throws std::bad_alloc when libcurl cannot make a handle.
  Lease acquire();

 private:
  void give_back(CURLM* multi);

  const std::size_t max_idle_;
  std::mutex mu_;
  std::vector<CURLM*> idle_;
};

}  // namespace examq::ai
