#include "util/wakeup.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace examq::util {

Wakeup::Wakeup() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Wakeup::~Wakeup() { ::close(fd_); }

void Wakeup::notify() {
  // Only the first notify after a drain pays for the syscall.
  if (pending_.exchange(true, std::memory_order_acq_rel)) return;
  std::uint64_t one = 1;
  ssize_t n;
  do {
    n = ::write(fd_, &one, sizeof one);
  } while (n < 0 && errno == EINTR);
}

bool Wakeup::drain() {
  // Read before clearing the flag: a notify() racing with us then either finds the flag set
  // after our read and its write leaves the fd readable, or it writes after our clear. Either
  // way no wake-up is lost; at worst one is spurious.
  std::uint64_t value;
  ssize_t n;
  do {
    n = ::read(fd_, &value, sizeof value);
  } while (n < 0 && errno == EINTR);
  bool was = pending_.exchange(false, std::memory_order_acq_rel);
  return was || n > 0;
}

}  // namespace examq::util
