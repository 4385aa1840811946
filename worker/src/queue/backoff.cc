#include "queue/backoff.h"

#include <algorithm>

namespace examq::queue {

Backoff::Backoff(util::Duration base, util::Duration cap, std::uint64_t seed) : base_(base), cap_(cap), rng_(seed) {}

util::Duration Backoff::next() {
  // Doubling stops well before overflow: 2^40 microseconds is about 12 days.
  const int shift = std::min(attempt_, 40);
  ++attempt_;
  std::int64_t nominal = base_.count();
  if (nominal > 0 && shift > 0) {
    nominal = (nominal > (cap_.count() >> shift)) ? cap_.count() : nominal << shift;
  }
  nominal = std::min(nominal, cap_.count());
  if (nominal <= 1) return util::Duration(nominal);
  std::uniform_int_distribution<std::int64_t> jitter(nominal / 2, nominal);
  return util::Duration(jitter(rng_));
}

}  // namespace examq::queue
