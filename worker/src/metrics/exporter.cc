#include "metrics/exporter.h"

#include "util/log.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>
#include <system_error>

namespace examq::metrics {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(10);  // to send one whole request
constexpr auto kIdleTimeout = std::chrono::seconds(90);     // a kept-alive connection between scrapes
constexpr std::size_t kMaxConnections = 16;
constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr std::uint64_t kMaxBodyBytes = 4 * 1024;  // read and ignored: only GET and HEAD are answered with metrics
constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

// Handlers hold a plain pointer: the io_context is stopped and its thread joined before this
// goes, and destroying the io_context destroys the connections still waiting in it (so
// `connections` is declared before it and outlives them).
struct Exporter::Shared {
  explicit Shared(std::function<std::string()> b) : body(std::move(b)), acceptor(ioc) {}
  std::function<std::string()> body;
  std::size_t connections = 0;  // touched on the io thread only
  net::io_context ioc{1};
  tcp::acceptor acceptor;
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Exporter::Shared* shared) : stream_(std::move(socket)), shared_(shared) {
    ++shared_->connections;
  }
  ~Connection() { --shared_->connections; }

  void read(std::chrono::seconds timeout) {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();  // closed, timed out or malformed: nothing worth answering
      self->respond(self->parser_->release());
    });
  }

 private:
  void respond(const http::request<http::string_body>& req) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(req.version());
    res->keep_alive(req.keep_alive());
    res->set(http::field::server, "examq");
    const bool metrics = req.target() == "/metrics";
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res->result(http::status::method_not_allowed);
      res->set(http::field::allow, "GET, HEAD");
    } else if (!metrics) {
      res->result(http::status::not_found);
      res->set(http::field::content_type, "text/plain; charset=utf-8");
      res->body() = "not found: the metrics are at /metrics\n";
    } else {
      res->result(http::status::ok);
      res->set(http::field::content_type, kContentType);
      res->body() = shared_->body();
    }
    res->prepare_payload();
    if (req.method() == http::verb::head) res->body().clear();
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) return self->close();
      self->read(kIdleTimeout);
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  Exporter::Shared* shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

void accept_next(Exporter::Shared* shared) {
  shared->acceptor.async_accept([shared](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (ec) {
      util::log_event(spdlog::level::warn, "metrics.accept_failed", {{"error", ec.message()}});
    } else if (shared->connections >= kMaxConnections) {
      beast::error_code ignored;
      socket.close(ignored);  // over the limit: hang up; a scraper retries at its next interval
    } else {
      std::make_shared<Connection>(std::move(socket), shared)->read(kRequestTimeout);
    }
    accept_next(shared);
  });
}

}  // namespace

Exporter::Exporter(std::string host, unsigned short port, std::function<std::string()> body)
    : host_(std::move(host)), port_(port), shared_(std::make_unique<Shared>(std::move(body))) {}

Exporter::~Exporter() { stop(); }

void Exporter::start() {
  beast::error_code ec;
  const auto address = net::ip::make_address(host_, ec);
  if (ec) throw std::system_error(ec, "--metrics-listen: bad address " + host_);
  const tcp::endpoint endpoint(address, port_);
  auto& acceptor = shared_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "--metrics-listen: cannot listen on " + host_ + ":" + std::to_string(port_));
  port_ = acceptor.local_endpoint().port();
  accept_next(shared_.get());
  thread_ = std::thread([s = shared_.get()] { s->ioc.run(); });
}

void Exporter::stop() {
  if (!thread_.joinable()) return;
  shared_->ioc.stop();
  thread_.join();
}

}  // namespace examq::metrics
