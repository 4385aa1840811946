#include "http/server.h"

#include "http/url.h"
#include "util/log.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <deque>
#include <system_error>

namespace examq::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using beast_http::status;
using beast_http::verb;

struct Server::Shared {
  Shared(const ServerConfig& c, Api& a, EventHub& h, std::atomic<std::size_t>& n)
      : config(c), api(a), hub(h), connections(n), ioc(c.io_threads), acceptor(ioc), db_pool(static_cast<std::size_t>(c.db_threads)) {}
  const ServerConfig& config;
  Api& api;
  EventHub& hub;
  std::atomic<std::size_t>& connections;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::thread_pool db_pool;
  std::atomic<bool> stopping{false};
};

namespace {

const char* const kServerName = "examq";

// Counts a connection for its whole life, whatever becomes of it.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::atomic<std::size_t>& n) : n_(n) { n_.fetch_add(1); }
  ~ConnectionSlot() { n_.fetch_sub(1); }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  std::atomic<std::size_t>& n_;
};

std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

std::optional<std::string> bearer_token(const RawRequest& raw) {
  auto it = raw.find(beast_http::field::authorization);
  if (it == raw.end()) return std::nullopt;
  std::string_view v(it->value().data(), it->value().size());
  constexpr std::string_view kBearer = "Bearer ";
  if (v.size() <= kBearer.size() || !beast::iequals(beast::string_view(v.data(), kBearer.size()), beast::string_view(kBearer.data(), kBearer.size()))) return std::nullopt;
  return std::string(v.substr(kBearer.size()));
}

class Session : public EventSubscriber, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Server::Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)), slot_(shared_->connections), heartbeat_(stream_.get_executor()) {}

  void start() { net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); }); }

  // EventSubscriber
  const Claims& caller() const override { return caller_; }
  bool closed() const override { return closed_.load(); }
  void deliver(std::string text) override {
    if (closed_.load()) return;
    const std::size_t backlog = backlog_.fetch_add(text.size()) + text.size();
    if (backlog > shared_->config.limits.max_event_backlog_bytes) {
      // A client that does not read: drop it rather than buffer without end; it may resume.
      net::post(stream_.get_executor(), [self = shared_from_this()] {
        util::log_event(spdlog::level::warn, "http.events_dropped", {{"reason", "client not reading"}});
        self->close();
      });
      return;
    }
    net::post(stream_.get_executor(), [self = shared_from_this(), t = std::move(text)]() mutable { self->enqueue(std::move(t)); });
  }

 private:
  const ServerLimits& limits() const { return shared_->config.limits; }

  // Between requests a connection may stay silent for the idle time; once a request's first
  // bytes arrive, the whole request must follow within the request time (a client sending a
  // header a byte at a time is cut off).
  void wait_for_request() {
    if (buffer_.size() > 0) return read_header();
    stream_.expires_after(limits().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->on_read_error(ec);
      self->buffer_.commit(n);
      self->read_header();
    });
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
    parser_->body_limit(limits().max_body_bytes);
    stream_.expires_after(limits().request_timeout);
    beast_http::async_read_header(stream_, buffer_, *parser_,
                                  [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    // The target and route are known from the header: kept for on_read. Only an upload route
    // may send a large body; everything else keeps the small limit.
    const auto& req = parser_->get();
    target_ = parse_target(sv(req.target()));
    match_ = target_ ? shared_->api.match(req.method(), target_->path) : Api::Match{};
    if (match_.route != nullptr && match_.route->kind == Api::Kind::upload) parser_->body_limit(limits().max_upload_bytes);
    beast_http::async_read(stream_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_read(e); });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == beast_http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted) {
      return close();
    }
    if (ec == beast::error::timeout) return close();  // idle or too slow: nothing to answer
    if (ec == beast_http::error::body_limit) return reply_and_close(status::payload_too_large, "request body too large");
    if (ec == beast_http::error::header_limit) return reply_and_close(status::request_header_fields_too_large, "request headers too large");
    reply_and_close(status::bad_request, "malformed HTTP request");
  }

  void reply_and_close(status s, const std::string& message) {
    Response res = error_response(s, message);
    res.keep_alive(false);
    write(std::move(res));
  }

  void on_read(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    auto raw = std::make_shared<RawRequest>(parser_->release());
    std::optional<Target> target = std::move(target_);
    Api::Match m = std::move(match_);
    if (!target) return respond(*raw, error_response(status::bad_request, "malformed request target"));
    if (m.route == nullptr) {
      return respond(*raw, error_response(m.miss, m.miss == status::method_not_allowed ? "method not allowed" : "not found"));
    }
    const Api::Route& route = *m.route;
    std::optional<Claims> claims;
    if (route.authenticated) {
      std::optional<std::string> token = bearer_token(*raw);
      if (!token && route.kind == Api::Kind::events) {
        // Browsers' EventSource cannot set headers: the token may come as ?access_token=.
        if (auto it = target->query.find("access_token"); it != target->query.end()) token = it->second;
      }
      if (!token) return respond(*raw, unauthorized("missing bearer token"));
      try {
        claims = verify_jwt(*token, shared_->config.jwt_secret);
      } catch (const JwtError& e) {
        return respond(*raw, unauthorized(e.what()));
      }
    }
    if (route.kind == Api::Kind::events) return start_events(*raw, *target, std::move(*claims));

    net::post(shared_->db_pool, [self = shared_from_this(), raw, target = std::move(*target), params = std::move(m.params),
                                 claims = std::move(claims), &route]() mutable {
      Response res;
      try {
        Request req{*raw, std::move(target.path), std::move(target.query), std::move(params), std::move(claims)};
        res = route.handle(req);
      } catch (const ApiError& e) {
        res = error_response(e.status, e.what());
      } catch (const std::exception& e) {
        util::log_event(spdlog::level::err, "http.handler_failed", {{"target", std::string(raw->target())}, {"error", e.what()}});
        res = error_response(status::internal_server_error, "internal error");
      }
      net::post(self->stream_.get_executor(), [self, raw, res = std::move(res)]() mutable { self->respond(*raw, std::move(res)); });
    });
  }

  static Response unauthorized(const std::string& why) {
    Response res = error_response(status::unauthorized, why);
    res.set(beast_http::field::www_authenticate, "Bearer");
    return res;
  }

  void respond(const RawRequest& req, Response res) {
    res.version(req.version());
    res.keep_alive(req.keep_alive() && res.keep_alive());
    write(std::move(res));
  }

  void write(Response res) {
    res.set(beast_http::field::server, kServerName);
    res.prepare_payload();
    auto sp = std::make_shared<Response>(std::move(res));
    stream_.expires_after(limits().request_timeout);
    beast_http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
      if (ec || sp->need_eof() || self->shared_->stopping.load()) return self->close();
      self->wait_for_request();
    });
  }

  // --- event streams ------------------------------------------------------------------------
  void start_events(const RawRequest& raw, const Target& target, Claims claims) {
    caller_ = std::move(claims);
    std::optional<std::string> since;
    std::string last = raw.count("Last-Event-ID") != 0 ? std::string(raw["Last-Event-ID"]) : std::string();
    if (last.empty()) {
      if (auto it = target.query.find("lastEventId"); it != target.query.end()) last = it->second;
    }
    if (!last.empty()) {
      if (!is_event_id(last)) return respond(raw, error_response(status::bad_request, "Last-Event-ID must be an event id this server sent"));
      since = last;
    }
    if (!caller_.admin) {
      // Refuse at once a caller with no database role, rather than stream nothing forever.
      try {
        shared_->api.db().role_for(caller_);
      } catch (const ApiError& e) {
        return respond(raw, error_response(e.status, e.what()));
      }
    }
    stream_.expires_never();
    replaying_ = since.has_value();
    shared_->hub.subscribe(shared_from_this());
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: examq\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Connection: keep-alive\r\nX-Accel-Buffering: no\r\n\r\n"
        // Tells EventSource how long to wait before reconnecting.
        "retry: 2000\n\n";
    enqueue(std::move(head), /*counted=*/false);
    watch_for_close();
    schedule_heartbeat();
    if (since) {
      net::post(shared_->db_pool, [self = shared_from_this(), since = *since] {
        std::vector<std::string> events;
        try {
          events = self->shared_->hub.replay(self->caller_, since, 10000);
        } catch (const std::exception& e) {
          util::log_event(spdlog::level::warn, "http.events_replay_failed", {{"error", e.what()}});
          net::post(self->stream_.get_executor(), [self] { self->close(); });
          return;
        }
        net::post(self->stream_.get_executor(), [self, events = std::move(events)]() mutable { self->end_replay(std::move(events)); });
      });
    }
  }

  void end_replay(std::vector<std::string> events) {
    replaying_ = false;
    for (std::string& e : events) enqueue(std::move(e), false);
    std::deque<std::string> held;
    held.swap(held_);
    for (std::string& e : held) enqueue(std::move(e), true, /*from_hold=*/true);
  }

  void enqueue(std::string text, bool counted = true, bool from_hold = false) {
    if (closed_.load()) return;
    if (replaying_ && counted && !from_hold) {
      held_.push_back(std::move(text));  // live events wait until the replay is out
      return;
    }
    queue_.push_back({std::move(text), counted});
    if (!writing_) write_next();
  }

  void write_next() {
    if (queue_.empty() || closed_.load()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    net::async_write(stream_.socket(), net::buffer(queue_.front().text),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (self->queue_.front().counted) self->backlog_.fetch_sub(self->queue_.front().text.size());
                       self->queue_.pop_front();
                       if (ec) return self->close();
                       self->write_next();
                     });
  }

  void watch_for_close() {
    // The client sends nothing on an event stream; a read ends when it goes away.
    stream_.socket().async_read_some(net::buffer(sink_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->watch_for_close();
    });
  }

  void schedule_heartbeat() {
    heartbeat_.expires_after(limits().event_heartbeat);
    heartbeat_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_.load()) return;
      // A comment line: proxies see traffic, EventSource ignores it.
      self->enqueue(": keep-alive\n\n", false, true);
      self->schedule_heartbeat();
    });
  }

  void close() {
    if (closed_.exchange(true)) return;
    beast::error_code ignored;
    heartbeat_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  struct Pending {
    std::string text;
    bool counted;
  };

  beast::tcp_stream stream_;
  std::shared_ptr<Server::Shared> shared_;
  ConnectionSlot slot_;
  beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  std::optional<Target> target_;  // of the request being read, from its header
  Api::Match match_;
  Claims caller_;
  std::atomic<bool> closed_{false};
  std::atomic<std::size_t> backlog_{0};
  bool replaying_ = false;
  bool writing_ = false;
  std::deque<Pending> queue_;
  std::deque<std::string> held_;
  std::array<char, 256> sink_{};
  net::steady_timer heartbeat_;
};

void accept_next(const std::shared_ptr<Server::Shared>& shared) {
  shared->acceptor.async_accept(net::make_strand(shared->ioc), [shared](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || shared->stopping.load()) return;
      util::log_event(spdlog::level::warn, "http.accept_failed", {{"error", ec.message()}});
    } else if (shared->connections.load() >= shared->config.limits.max_connections) {
      // Over the limit: say so and hang up, without reading anything.
      static const std::string kBody = R"({"success":false,"error":"too many connections"})";
      auto msg = std::make_shared<std::string>(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 1\r\n"
          "Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody);
      auto sock = std::make_shared<tcp::socket>(std::move(socket));
      net::async_write(*sock, net::buffer(*msg), [sock, msg](beast::error_code, std::size_t) {
        beast::error_code ignored;
        sock->shutdown(tcp::socket::shutdown_both, ignored);
      });
    } else {
      std::make_shared<Session>(std::move(socket), shared)->start();
    }
    accept_next(shared);
  });
}

}  // namespace

Server::Server(ServerConfig config, Api& api, EventHub& hub)
    : config_(std::move(config)), shared_(std::make_shared<Shared>(config_, api, hub, connections_)) {}

Server::~Server() { stop(); }

void Server::start() {
  beast::error_code ec;
  const auto address = net::ip::make_address(config_.host, ec);
  if (ec) throw std::system_error(ec, "--listen: bad address " + config_.host);
  tcp::endpoint endpoint(address, config_.port);
  auto& acceptor = shared_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + config_.host + ":" + std::to_string(config_.port));
  bound_port_ = acceptor.local_endpoint().port();
  accept_next(shared_);
  for (int i = 0; i < std::max(1, config_.io_threads); ++i) threads_.emplace_back([s = shared_] { s->ioc.run(); });
}

void Server::stop() {
  if (!shared_ || shared_->stopping.exchange(true)) return;
  net::post(shared_->ioc, [s = shared_] {
    beast::error_code ignored;
    s->acceptor.close(ignored);
  });
  shared_->ioc.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  shared_->db_pool.join();
}

}  // namespace examq::http
