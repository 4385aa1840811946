#pragma once
// The queue as the database sees it, for the gauges of the metrics endpoint: pending jobs by
// type (due now, and waiting for their run_at), and how long the oldest due one has waited.
//
// Read on a thread and a connection of its own, with one read-only query, at most every
// `interval` and only while someone scrapes: a scrape takes the latest reading without
// waiting for the database, so the worker's own counters stay visible through a database
// outage (the reading then says it failed).

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace examq::metrics {

struct QueueDepth {
  std::int64_t due = 0;      // pending, run_at reached: waiting for a worker
  std::int64_t delayed = 0; // pending, run_at in the future (a retry's backoff, a snooze)
  double oldest_due_seconds = 0;  // since the oldest due job's run_at; 0 when none is due
};

struct QueueSample {
  bool ok = false;   // false until the first reading, and after a failed one
  std::chrono::steady_clock::time_point taken{};
  // Every type seen pending since the sampler started, with zeros once drained, so that a
  // series does not vanish when its queue empties.
  std::map<std::string, QueueDepth> by_type;
};

class QueueSampler {
 public:
  QueueSampler(std::string conninfo, std::chrono::milliseconds interval);
  ~QueueSampler();  // stops the thread
  QueueSampler(const QueueSampler&) = delete;
  QueueSampler& operator=(const QueueSampler&) = delete;

  // Starts reading (a first reading at once).
  void start();
  // The latest reading; asks for a new one when it is older than the interval.
  QueueSample latest();

 private:
  void loop();
  void read();

  const std::string conninfo_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool wanted_ = true;
  bool stop_ = false;
  QueueSample sample_;
  std::thread thread_;
  struct Session;
  std::unique_ptr<Session> session_;  // used by the thread only
};

}  // namespace examq::metrics
