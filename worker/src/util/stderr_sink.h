#pragma once
// The log sink `examq` uses: stderr, written in batches under load.
//
// A line goes out at once when it is a warning or worse, or when nothing was written for a few
// milliseconds (a quiet worker logs line by line, as a person tailing it expects). Under load
// (a worker settling thousands of jobs a second writes two lines per job) lines are gathered
// and written together at most kMaxDelay later, one write() for many lines instead of one each.
// A clean exit, flush() or a warning writes everything pending; a crash loses at most kMaxDelay
// of lines.

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace examq::util {

class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr std::chrono::milliseconds kMaxDelay{5};

  StderrSink();
  ~StderrSink() override;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  void write_out();  // with mutex_ held
  void flusher();

  std::string buffer_;
  std::chrono::steady_clock::time_point last_write_{};
  bool pending_ = false;
  bool stop_ = false;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace examq::util
