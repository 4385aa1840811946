#include "smtp_sink.h"

#include <tao/json.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace examq::testing {

SmtpSink::SmtpSink(const std::string& address) {
  char tmpl[] = "/tmp/examq-smtp-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  dir_ = tmpl;
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const std::string script = std::string(EXAMQ_NOTIFY_TEST_DIR) + "/smtp_sink.py";
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::execl("/usr/bin/python3", "python3", script.c_str(), dir_.c_str(), address.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  stdin_fd_ = in[1];
  // The script prints "PORT <n>" once it listens; reading blocks until then (or EOF if it died).
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  if (line.rfind("PORT ", 0) != 0) {
    throw std::runtime_error("smtp_sink.py did not start (is python3-aiosmtpd installed?): \"" + line + "\"");
  }
  port_ = std::stoi(line.substr(5));
}

SmtpSink::~SmtpSink() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (pid_ > 0) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<tao::json::value> SmtpSink::messages() const {
  std::vector<tao::json::value> out;
  for (int n = 1;; ++n) {
    const std::string path = dir_ + "/" + std::to_string(n) + ".json";
    std::ifstream f(path);
    if (!f) break;
    std::stringstream ss;
    ss << f.rdbuf();
    out.push_back(tao::json::from_string(ss.str()));
  }
  return out;
}

}  // namespace examq::testing
