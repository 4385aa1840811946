#pragma once
// Capped exponential backoff with "equal jitter" for reconnects and retried round trips:
// attempt n waits a random time in [d/2, d] with d = min(cap, base * 2^n), so a crowd of
// workers that lost the server together does not come back in lockstep.

#include "util/duration.h"

#include <cstdint>
#include <random>

namespace examq::queue {

class Backoff {
 public:
  Backoff(util::Duration base, util::Duration cap, std::uint64_t seed = std::random_device{}());

  // The next delay; each call doubles the nominal delay until it reaches the cap.
  util::Duration next();
  // Back to the first delay (after a success).
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  util::Duration base_, cap_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace examq::queue
