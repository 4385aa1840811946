#include "pipeline/file_url.h"

#include "pipeline/url_fetcher.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

namespace examq::pipeline {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

FetchError refused(const std::string& message) { return FetchError(message, false); }

// The path's components without "" and "." (so "//" and "/./" change nothing); ".." is kept
// for the caller to refuse.
std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.push_back(std::move(part));
    start = end + 1;
  }
  return out;
}

bool starts_with(const std::vector<std::string>& path, const std::vector<std::string>& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

// The URL's path, percent-decoded once, exactly as written (no dot-segment removal: the walk
// below refuses "..").
std::string decoded_path(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_PATH_AS_IS) != CURLUE_OK) {
    throw refused("not a valid file URL");
  }
  char* host = nullptr;
  if (curl_url_get(u.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK) {
    std::string h(host);
    curl_free(host);
    if (!h.empty() && h != "localhost") throw refused("file URLs may not name a host (" + h + ")");
  }
  char* path = nullptr;
  // Fails on %00: a NUL would end the path the kernel sees early.
  if (curl_url_get(u.get(), CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK) {
    throw refused("not a valid file URL");
  }
  std::string decoded(path);
  curl_free(path);
  return decoded;
}

}  // namespace

std::string read_file_url(const std::string& url, const std::string& root, std::size_t max_bytes) {
  if (root.empty()) {
    throw refused("file:// URLs are disabled; set EXAMQ_FILE_URL_ROOT to a directory to allow them");
  }
  const std::string path = decoded_path(url);
  // Only the text decides "outside": the file system is not asked about anything outside the
  // root, so this message is the same whether something exists there or not. The root may be
  // written as configured or as its canonical path.
  const std::string outside = path + " is outside EXAMQ_FILE_URL_ROOT";
  const std::vector<std::string> parts = components(path);
  if (path.empty() || path.front() != '/' || std::find(parts.begin(), parts.end(), "..") != parts.end()) {
    throw refused(outside);
  }
  const std::filesystem::path root_path = std::filesystem::absolute(root).lexically_normal();
  std::vector<std::string> root_parts = components(root_path.string());
  if (!starts_with(parts, root_parts)) {
    std::error_code ec;
    root_parts = components(std::filesystem::canonical(root_path, ec).string());
    if (ec || !starts_with(parts, root_parts)) throw refused(outside);
  }
  if (parts.size() == root_parts.size()) throw refused(path + " is a directory");

  // The root itself may be reached through symbolic links: the operator chose it.
  Fd dir(::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) throw refused("EXAMQ_FILE_URL_ROOT " + root + ": " + std::strerror(errno));
  // Below it nothing is followed: a link may point anywhere, and following one only when it
  // stays inside would tell, by the error, whether its target exists.
  auto failure = [&](int parent, const std::string& name, int err) {
    struct stat st{};
    if (err == ELOOP || (err == ENOTDIR && ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))) {
      return refused(path + " passes through a symbolic link; links under EXAMQ_FILE_URL_ROOT are not followed");
    }
    if (err == ENOENT) return refused("cannot open " + path + ": no such file");
    return refused("cannot open " + path + ": " + std::strerror(err));
  };
  for (std::size_t i = root_parts.size(); i + 1 < parts.size(); ++i) {
    Fd next(::openat(dir.get(), parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) throw failure(dir.get(), parts[i], errno);
    dir = std::move(next);
  }
  // O_NONBLOCK: a FIFO must not hang the job (it is refused below as not a regular file).
  Fd file(::openat(dir.get(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (file.get() < 0) throw failure(dir.get(), parts.back(), errno);
  struct stat st{};
  if (::fstat(file.get(), &st) != 0) throw failure(dir.get(), parts.back(), errno);
  if (S_ISDIR(st.st_mode)) throw refused(path + " is a directory");
  if (!S_ISREG(st.st_mode)) throw refused(path + " is not a regular file");
  const std::string shown = "file://" + path;
  if (static_cast<std::size_t>(st.st_size) > max_bytes) throw refused(too_large_message(shown, max_bytes));

  // Read with the limit, not the size fstat gave: the file may grow meanwhile.
  std::string data;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(file.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw refused("reading " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    if (data.size() + static_cast<std::size_t>(n) > max_bytes) throw refused(too_large_message(shown, max_bytes));
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

}  // namespace examq::pipeline
