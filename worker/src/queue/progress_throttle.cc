#include "queue/progress_throttle.h"

namespace examq::queue {

ProgressThrottle::ProgressThrottle(std::chrono::milliseconds interval) : interval_(interval) {}

bool ProgressThrottle::should_send(int percentage, std::string_view step, Clock::time_point now) {
  const bool new_step = !sent_any_ || step != last_step_;
  const bool send = new_step || (percentage != last_percentage_ && (percentage == 100 || now - last_sent_ >= interval_));
  if (!send) return false;
  step_changed_ = new_step;
  sent_any_ = true;
  last_percentage_ = percentage;
  if (new_step) last_step_.assign(step);
  last_sent_ = now;
  return true;
}

}  // namespace examq::queue
