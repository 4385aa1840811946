#include "fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace examq::test {
namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 411: return "Length Required";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 529: return "Overloaded";
    default: return "Status";
  }
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::optional<std::string> FakeRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("bind/listen: " + std::string(std::strerror(errno)));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeHttpServer::~FakeHttpServer() { stop(); }

void FakeHttpServer::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (std::thread& t : workers) t.join();
}

void FakeHttpServer::accept_loop() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;  // shut down
    }
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    int connection = ++connections_;
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd, connection] { serve(fd, connection); });
  }
}

bool FakeHttpServer::wait_or_hangup(int fd, std::chrono::milliseconds delay) {
  auto until = std::chrono::steady_clock::now() + delay;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
    }
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 50)));
    if (n > 0) {
      // The client sends nothing while it waits for an answer: readable means it hung up.
      char c;
      ssize_t r = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (r <= 0 || (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) return false;
    }
  }
}

void FakeHttpServer::serve(int fd, int connection) {
  std::string buffer;
  char chunk[65536];
  auto read_more = [&]() -> bool {
    ssize_t n;
    do {
      n = ::recv(fd, chunk, sizeof chunk, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  };

  while (true) {
    std::size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeaderBytes || !read_more()) goto done;
    }
    {
      FakeRequest req;
      req.connection = connection;
      std::string_view head(buffer.data(), header_end);
      std::size_t line_end = head.find("\r\n");
      std::string_view request_line = head.substr(0, line_end);
      std::size_t sp1 = request_line.find(' ');
      std::size_t sp2 = request_line.find(' ', sp1 + 1);
      if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) goto done;
      req.method = request_line.substr(0, sp1);
      req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      std::size_t content_length = 0;
      bool chunked = false;
      std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        std::size_t eol = head.find("\r\n", pos);
        if (eol == std::string_view::npos) eol = head.size();
        std::string_view line = head.substr(pos, eol - pos);
        std::size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
          std::string name = lower(trim(line.substr(0, colon)));
          std::string value(trim(line.substr(colon + 1)));
          if (name == "content-length") content_length = std::stoul(value);
          if (name == "transfer-encoding") chunked = true;
          if (name == "expect" && lower(value) == "100-continue") {
            if (!send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) goto done;
          }
          req.headers.emplace_back(std::move(name), std::move(value));
        }
        pos = eol + 2;
      }
      buffer.erase(0, header_end + 4);
      if (chunked) {
        send_all(fd, "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        goto done;
      }
      while (buffer.size() < content_length) {
        if (!read_more()) goto done;
      }
      req.body = buffer.substr(0, content_length);
      buffer.erase(0, content_length);

      {
        std::lock_guard lock(mu_);
        req.sequence = static_cast<int>(requests_.size()) + 1;
        ++in_flight_;
        max_in_flight_ = std::max(max_in_flight_, in_flight_);
        req.in_flight_on_arrival = in_flight_;
        requests_.push_back(req);
        in_flight_sequences_.insert(req.sequence);
      }
      cv_.notify_all();

      FakeResponse res = handler_(req);
      bool client_waited = res.delay.count() <= 0 || wait_or_hangup(fd, res.delay);
      {
        // Answered from here on: counting it out before sending keeps the server's view of
        // "in flight" inside the client's, so max_in_flight() never overstates concurrency.
        std::lock_guard lock(mu_);
        --in_flight_;
        in_flight_sequences_.erase(req.sequence);
      }
      cv_.notify_all();
      bool sent = false;
      if (client_waited && res.streamed) {
        std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + reason_phrase(res.status) + "\r\n";
        out += "Content-Type: " + res.content_type + "\r\n";
        out += "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n";
        for (const auto& [k, v] : res.headers) out += k + ": " + v + "\r\n";
        out += "\r\n";
        sent = send_all(fd, out);
        for (const StreamPart& part : res.stream) {
          if (!sent) break;
          if (part.delay.count() > 0 && !wait_or_hangup(fd, part.delay)) {
            sent = false;
            break;
          }
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", part.bytes.size());
          sent = part.bytes.empty() || send_all(fd, std::string(size) + part.bytes + "\r\n");
        }
        if (sent) sent = send_all(fd, "0\r\n\r\n");
      } else if (client_waited) {
        std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + reason_phrase(res.status) + "\r\n";
        out += "Content-Type: " + res.content_type + "\r\n";
        out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
        for (const auto& [k, v] : res.headers) out += k + ": " + v + "\r\n";
        out += "\r\n";
        out += res.body;
        sent = send_all(fd, out);
      }
      if (!sent) {
        {
          std::lock_guard lock(mu_);
          ++abandoned_;
        }
        cv_.notify_all();
        goto done;
      }
    }
  }
done:
  std::lock_guard lock(mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
}

int FakeHttpServer::connections() const {
  std::lock_guard lock(mu_);
  return connections_;
}

int FakeHttpServer::request_count() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(requests_.size());
}

int FakeHttpServer::max_in_flight() const {
  std::lock_guard lock(mu_);
  return max_in_flight_;
}

int FakeHttpServer::abandoned() const {
  std::lock_guard lock(mu_);
  return abandoned_;
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

bool FakeHttpServer::await_in_flight(int n, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  // The caller's request is in flight, so it arrived no earlier than the oldest one that is.
  const std::size_t since = in_flight_sequences_.empty()
                                ? requests_.size()
                                : static_cast<std::size_t>(*in_flight_sequences_.begin() - 1);
  auto reached = [&] {
    if (in_flight_ >= n) return true;
    for (std::size_t i = since; i < requests_.size(); ++i) {
      if (requests_[i].in_flight_on_arrival >= n) return true;
    }
    return false;
  };
  return cv_.wait_for(lock, limit, [&] { return reached() || stopping_; }) && !stopping_;
}

bool FakeHttpServer::await(const std::function<bool(int in_flight)>& condition, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return condition(in_flight_) || stopping_; }) && !stopping_;
}

void FakeHttpServer::poke() { cv_.notify_all(); }

bool FakeHttpServer::await_abandoned(int n, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return abandoned_ >= n; });
}

}  // namespace examq::test
