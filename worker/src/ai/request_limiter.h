#pragma once
// Caps the AI requests in flight across every job of one worker, so that N concurrent jobs do
// not multiply the load on the provider (and its rate limits) by N.
//
// Jobs never block on it: a job's event loop (batch_runner.h) takes slots with try_acquire()
// while it keeps driving its own transfers, and subscribes a wake-up so a slot freed by another
// job interrupts its wait at once.
//
// It also remembers when the provider last said "retry after": until then no slot is handed out,
// so one job's 429 keeps the worker's other jobs from hammering the same rate limit.

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>

namespace examq::ai {

class RequestLimiter {
 public:
  explicit RequestLimiter(int slots);
  RequestLimiter(const RequestLimiter&) = delete;
  RequestLimiter& operator=(const RequestLimiter&) = delete;

  // One slot, given back when destroyed (or reset()). Empty when try_acquire() failed.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& o) noexcept : owner_(o.owner_) { o.owner_ = nullptr; }
    Slot& operator=(Slot&& o) noexcept;
    ~Slot() { reset(); }
    explicit operator bool() const { return owner_ != nullptr; }
    void reset();

   private:
    friend class RequestLimiter;
    explicit Slot(RequestLimiter* owner) : owner_(owner) {}
    RequestLimiter* owner_ = nullptr;
  };

  // While it lives, its callback runs (on the releasing thread, under the limiter's lock: keep it
  // short and non-blocking, e.g. curl_multi_wakeup) each time a slot is given back.
  class Subscription {
   public:
    Subscription(Subscription&&) = delete;
    ~Subscription();

   private:
    friend class RequestLimiter;
    Subscription(RequestLimiter* owner, std::list<std::function<void()>>::iterator it) : owner_(owner), it_(it) {}
    RequestLimiter* owner_;
    std::list<std::function<void()>>::iterator it_;
  };

  using Clock = std::chrono::steady_clock;

  // Empty while all slots are taken or the limiter is held.
  Slot try_acquire();

  // No slot until `until` (a later hold extends, an earlier one does not shorten).
  void hold_until(Clock::time_point until);
  // The end of the current hold; in the past when there is none.
  Clock::time_point held_until() const;
  [[nodiscard]] Subscription subscribe(std::function<void()> on_release);

  int capacity() const { return slots_; }
  int in_use() const;
  // The most slots ever held at once (for tests and metrics).
  int peak() const;

 private:
  void release();

  const int slots_;
  mutable std::mutex mu_;
  int used_ = 0;
  int peak_ = 0;
  Clock::time_point held_until_{};
  std::list<std::function<void()>> waiters_;
};

}  // namespace examq::ai
