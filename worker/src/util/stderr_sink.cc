#include "util/stderr_sink.h"

#include <unistd.h>

#include <cerrno>

namespace examq::util {
namespace {

constexpr std::size_t kMaxBuffer = 64 * 1024;

}  // namespace

StderrSink::StderrSink() : thread_([this] { flusher(); }) {}

StderrSink::~StderrSink() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::lock_guard lock(mutex_);
  write_out();
}

void StderrSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  buffer_.append(formatted.data(), formatted.size());
  const auto now = std::chrono::steady_clock::now();
  if (msg.level >= spdlog::level::warn || buffer_.size() >= kMaxBuffer || now - last_write_ >= kMaxDelay) {
    write_out();
  } else if (!pending_) {
    pending_ = true;
    wake_.notify_one();
  }
}

void StderrSink::flush_() { write_out(); }

void StderrSink::write_out() {
  last_write_ = std::chrono::steady_clock::now();
  pending_ = false;
  std::size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(STDERR_FILENO, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nowhere to log to: drop rather than block the worker
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void StderrSink::flusher() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait(lock, [&] { return pending_ || stop_; });
    if (stop_) break;
    wake_.wait_for(lock, kMaxDelay, [&] { return stop_; });
    if (pending_) write_out();
  }
}

}  // namespace examq::util
