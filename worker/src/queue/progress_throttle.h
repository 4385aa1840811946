#pragma once
// Which progress reports go to the database. The first report, every change of step and the
// final 100% always go; other percentages at most once per interval; repeats never.
// Not thread-safe: one per running job.

#include <chrono>
#include <string>
#include <string_view>

namespace examq::queue {

class ProgressThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProgressThrottle(std::chrono::milliseconds interval = std::chrono::milliseconds(200));

  // True when (percentage, step) should be sent now; records it as sent.
  bool should_send(int percentage, std::string_view step, Clock::time_point now = Clock::now());
  // True when the last accepted report changed the step (worth a log line).
  bool step_changed() const { return step_changed_; }

 private:
  std::chrono::milliseconds interval_;
  bool sent_any_ = false;
  bool step_changed_ = false;
  int last_percentage_ = -1;
  std::string last_step_;
  Clock::time_point last_sent_{};
};

}  // namespace examq::queue
