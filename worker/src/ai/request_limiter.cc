#include "ai/request_limiter.h"

#include <stdexcept>

namespace examq::ai {

RequestLimiter::RequestLimiter(int slots) : slots_(slots) {
  if (slots < 1) throw std::invalid_argument("a request limiter needs at least one slot");
}

RequestLimiter::Slot& RequestLimiter::Slot::operator=(Slot&& o) noexcept {
  if (this != &o) {
    reset();
    owner_ = o.owner_;
    o.owner_ = nullptr;
  }
  return *this;
}

void RequestLimiter::Slot::reset() {
  if (owner_ != nullptr) {
    owner_->release();
    owner_ = nullptr;
  }
}

RequestLimiter::Slot RequestLimiter::try_acquire() {
  std::lock_guard lock(mu_);
  if (used_ >= slots_ || Clock::now() < held_until_) return Slot();
  ++used_;
  if (used_ > peak_) peak_ = used_;
  return Slot(this);
}

void RequestLimiter::release() {
  std::lock_guard lock(mu_);
  --used_;
  for (const auto& wake : waiters_) wake();
}

void RequestLimiter::hold_until(Clock::time_point until) {
  std::lock_guard lock(mu_);
  if (until > held_until_) held_until_ = until;
}

RequestLimiter::Clock::time_point RequestLimiter::held_until() const {
  std::lock_guard lock(mu_);
  return held_until_;
}

RequestLimiter::Subscription RequestLimiter::subscribe(std::function<void()> on_release) {
  std::lock_guard lock(mu_);
  waiters_.push_back(std::move(on_release));
  return Subscription(this, std::prev(waiters_.end()));
}

RequestLimiter::Subscription::~Subscription() {
  std::lock_guard lock(owner_->mu_);
  owner_->waiters_.erase(it_);
}

int RequestLimiter::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

int RequestLimiter::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

}  // namespace examq::ai
