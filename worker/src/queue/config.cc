#include "queue/config.h"

#include <unistd.h>

#include <regex>
#include <stdexcept>
#include <thread>

namespace examq::queue {

int default_concurrency() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string default_worker_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "localhost");
  return std::string(host) + ":" + std::to_string(getpid());
}

std::vector<std::string> parse_job_types(std::string_view csv) {
  std::vector<std::string> out;
  while (!csv.empty()) {
    std::size_t comma = csv.find(',');
    std::string_view item = csv.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
  return out;
}

void validate(const WorkerConfig& c) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  auto fail = [](const std::string& why) { throw std::invalid_argument(why); };
  if (c.concurrency < 1 || c.concurrency > 1024) fail("--concurrency must be between 1 and 1024");
  if (c.poll_interval < milliseconds(10)) fail("--poll-interval must be at least 10ms");
  if (c.lease < seconds(1)) fail("--lease must be at least 1s (it is renewed every lease/3)");
  if (c.lease > std::chrono::hours(24)) fail("--lease must be at most 24h");
  if (c.shutdown_grace < util::Duration::zero()) fail("--shutdown-grace must not be negative");
  if (c.worker_id.empty() || c.worker_id.size() > 200) fail("--worker-id must be 1 to 200 characters");
  if (c.max_batch < 1 || c.max_batch > 10000) fail("--max-batch must be between 1 and 10000");
  static const std::regex kJobType("^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$");
  for (const std::string& t : c.job_types) {
    if (!std::regex_match(t, kJobType)) {
      fail("--job-types: \"" + t + "\" is not a valid job type (letters, digits, _ . : -, at most 100)");
    }
  }
}

}  // namespace examq::queue
