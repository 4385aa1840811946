#pragma once
// A level-triggered wake-up another thread can fire, usable both with poll() (fd()) and as a
// plain flag. Coalesces: any number of notify() calls before the next drain() cost one write.

#include <atomic>

namespace examq::util {

class Wakeup {
 public:
  Wakeup();  // throws std::system_error when no eventfd can be created
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  // Makes fd() readable until the next drain(). Safe from any thread; not async-signal-safe.
  void notify();
  // Clears the readable state. Returns true when a notify() had happened since the last drain.
  bool drain();
  // Readable (POLLIN) while a notification is pending.
  int fd() const { return fd_; }

 private:
  int fd_;
  std::atomic<bool> pending_{false};
};

}  // namespace examq::util
