#pragma once
// A real SMTP server for tests: smtp_sink.py (Debian's python3-aiosmtpd), without TLS, started
// as a child process, writing each message it receives as parsed JSON into a directory.

#include <tao/json/value.hpp>

#include <sys/types.h>

#include <string>
#include <vector>

namespace examq::testing {

class SmtpSink {
 public:
  // Listens on `address` ("0.0.0.0": every interface); returns once the server accepts
  // connections (it says so on a pipe).
  explicit SmtpSink(const std::string& address = "127.0.0.1");
  ~SmtpSink();  // closes its stdin (it exits), reaps it, removes the directory
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // The messages received so far, in order: {"mail_from", "rcpt_tos", "headers": {...},
  // "content_type", "text", "html", "raw"}.
  std::vector<tao::json::value> messages() const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
};

}  // namespace examq::testing
