#include "daemon/http_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "config/listen_address.hpp"
#include "queuewatch/version.hpp"

namespace qw::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
// After an error response we read and discard what the client still sends, for at most this
// long, before closing: closing with unread input makes the kernel send RST, and the client
// would then see "connection reset" instead of our 413/431.
constexpr std::chrono::milliseconds kLingerLimit{2000};
// A failed accept (EMFILE, ENOBUFS) is retried after this pause rather than in a busy loop.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
// At a limit, a newcomer that has not sent its request yet is given this long to send it (a real
// client's request follows its connect at once) before it may displace an idle connection.
constexpr std::chrono::milliseconds kAskWithin{200};
// How many such newcomers may wait at once; the oldest gives way to the next. A scraper's
// request can lag its connect by tens of milliseconds on a busy host, and a flood re-connects
// thousands of times a second: the queue must outlast that. Each costs one descriptor, and this
// plus the default max_connections stays well inside the usual 1024.
constexpr std::size_t kMaxWaiting = 256;
// Refused connections are logged at most this often: under a flood, one line says enough.
constexpr std::chrono::seconds kRefusalLogInterval{60};

std::string server_header() {
  return fmt::format("queuewatch/{}", qw::kVersion);
}

// A host name is resolved once, here, at startup, where blocking is harmless. The syntax is
// config::parse_listen_address's, the same the loader validated.
tcp::endpoint resolve_listen(asio::io_context& io, const std::string& listen) {
  const auto parsed = config::parse_listen_address(listen);
  if (!parsed)
    throw std::runtime_error(fmt::format(
        "cannot listen on {}: expected host:port or [ipv6]:port, e.g. 127.0.0.1:9187", listen));
  const std::string& host = parsed->host;
  const std::uint16_t port = parsed->port;

  error_code address_error;
  const auto address = asio::ip::make_address(host, address_error);
  if (!address_error) return {address, port};

  tcp::resolver resolver(io);
  error_code resolve_error;
  const auto results =
      resolver.resolve(host, std::to_string(port),
                       tcp::resolver::numeric_service | tcp::resolver::passive, resolve_error);
  if (resolve_error || results.empty())
    throw std::runtime_error(fmt::format("cannot listen on {}: cannot resolve \"{}\": {}", listen,
                                         host, resolve_error.message()));
  return results.begin()->endpoint();
}

enum class Route { metrics, healthy, ready, index, unknown };

Route route_of(std::string_view target) {
  // Query strings do not select anything here; Prometheus and probes sometimes add them.
  target = target.substr(0, target.find('?'));
  if (target == "/metrics") return Route::metrics;
  if (target == "/-/healthy") return Route::healthy;
  if (target == "/-/ready") return Route::ready;
  if (target == "/") return Route::index;
  return Route::unknown;
}

using Response = http::response<http::string_body>;

Response make_text(http::status status, std::string body, unsigned version) {
  Response res{status, version};
  res.set(http::field::server, server_header());
  res.set(http::field::content_type, kTextContentType);
  res.body() = std::move(body);
  return res;
}

std::string index_page() {
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><title>queuewatch</title></head><body>\n"
      "<h1>queuewatch {}</h1>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n",
      qw::kVersion);
}

Response dispatch_request(const http::request<http::string_body>& req,
                          const HttpHandlers& handlers) {
  const unsigned version = req.version();
  const Route route = route_of(req.target());
  if (route == Route::unknown) return make_text(http::status::not_found, "Not Found\n", version);
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    auto res = make_text(http::status::method_not_allowed, "Method Not Allowed\n", version);
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  switch (route) {
    case Route::metrics: {
      std::string text;
      try {
        text = handlers.metrics_text ? handlers.metrics_text() : std::string{};
      } catch (const std::exception& e) {
        spdlog::error("http: cannot render /metrics: {}", e.what());
        return make_text(http::status::internal_server_error, "cannot render metrics\n", version);
      }
      auto res = make_text(http::status::ok, std::move(text), version);
      res.set(http::field::content_type, kMetricsContentType);
      return res;
    }
    case Route::healthy:
      return make_text(http::status::ok, "OK\n", version);
    case Route::ready:
      if (handlers.ready && handlers.ready()) return make_text(http::status::ok, "OK\n", version);
      return make_text(http::status::service_unavailable, "Not Ready\n", version);
    case Route::index: {
      auto res = make_text(http::status::ok, index_page(), version);
      res.set(http::field::content_type, "text/html; charset=utf-8");
      return res;
    }
    case Route::unknown:
      break;
  }
  return make_text(http::status::not_found, "Not Found\n", version);
}

bool is_parse_error(const error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_target).category();
}

class Session;

}  // namespace

std::size_t per_address_limit(std::size_t max_connections) {
  return std::max<std::size_t>(8, max_connections / 4);
}

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(asio::io_context& io_context, const config::HttpConfig& http_config,
        HttpHandlers http_handlers, std::shared_ptr<const WebSecurity> web_security,
        std::shared_ptr<asio::thread_pool> pool)
      : io(io_context),
        config(http_config),
        handlers(std::move(http_handlers)),
        web(std::move(web_security)),
        auth_pool(std::move(pool)),
        acceptor(io_context),
        retry_timer(io_context),
        log_timer(io_context) {}

  void listen();
  void accept_next();
  void on_accept(const error_code& ec, tcp::socket socket);
  void refuse(tcp::socket& socket);
  bool at_limit(const asio::ip::address& peer) const;
  // Admits a newcomer whose request has arrived, closing idle connections to make room.
  void admit(tcp::socket socket, const asio::ip::address& peer);
  // At a limit, a newcomer that has not asked yet waits (kAskWithin) for its request.
  void wait_for_request(tcp::socket socket, const asio::ip::address& peer);
  // Closes the connection idle the longest (from `peer` only, when given); false when every one
  // is busy with a request.
  bool evict_idle(const asio::ip::address* peer);
  void stop();
  // The refusal and eviction summaries: logged at once when kRefusalLogInterval has passed since
  // the last line, otherwise counted and logged by log_timer when it has, or at stop: a summary
  // that waited for the next event would never report the last burst of a flood.
  void log_refusals(std::chrono::steady_clock::time_point now);
  void log_evictions(std::chrono::steady_clock::time_point now);
  void flush_summaries(bool all);
  void arm_log_timer();

  asio::io_context& io;
  config::HttpConfig config;  // a reload changes all but `listen`
  const HttpHandlers handlers;
  // TLS and basic auth (--web.config.file); a reload swaps it for connections and requests
  // from then on. Never null: no web config is plain HTTP without authentication.
  std::shared_ptr<const WebSecurity> web;
  // Where bcrypt runs (one thread). Owned with HttpServer, which joins it before going away.
  std::shared_ptr<asio::thread_pool> auth_pool;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  asio::steady_timer log_timer;
  bool log_timer_armed = false;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  // Open connections, for max_connections and for closing them on stop(). Only touched on the
  // event loop; a Session removes itself when its last pending operation is gone.
  std::unordered_set<Session*> sessions;
  std::size_t open = 0;  // sessions not yet closed (a closed one leaves `sessions` a bit later)
  std::map<asio::ip::address, std::size_t> open_by_address;
  // Newcomers in wait_for_request, oldest first; at most kMaxWaiting of them undecided.
  struct Waiting;
  std::deque<std::weak_ptr<Waiting>> waiting_queue;
  std::size_t waiting = 0;
  std::size_t evicted_since_log = 0;
  std::optional<std::chrono::steady_clock::time_point> last_eviction_log;
  std::size_t refused_since_log = 0;
  std::optional<std::chrono::steady_clock::time_point> last_refusal_log;
};

namespace {

// What the server's bookkeeping needs of any connection, plain or TLS: the limits, evictions
// and stop() see only this.
class Session {
 public:
  Session(std::shared_ptr<HttpServer::State> state, asio::ip::address peer)
      : state_(std::move(state)), peer_(std::move(peer)) {}
  virtual ~Session() {
    forget();
    state_->sessions.erase(this);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Called by stop() and evictions: pending operations complete with operation_aborted and
  // release us. The connection stops counting against the limits at once.
  virtual void close() = 0;

  bool closed() const { return closed_; }
  // Between accept (or the last response) and a complete request header: holding a slot
  // without asking anything, so the first to go when a newcomer needs room.
  bool idle() const { return !closed_ && !busy_; }
  const asio::ip::address& peer() const { return peer_; }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }

 protected:
  void count_open() {
    state_->sessions.insert(this);
    ++state_->open;
    ++state_->open_by_address[peer_];
  }

  // The connection no longer counts against the limits (idempotent).
  void forget() {
    if (closed_) return;
    closed_ = true;
    --state_->open;
    const auto it = state_->open_by_address.find(peer_);
    if (it != state_->open_by_address.end() && --it->second == 0) state_->open_by_address.erase(it);
  }

  std::shared_ptr<HttpServer::State> state_;
  const asio::ip::address peer_;
  std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
  bool busy_ = false;    // a complete request header came: answering it
  bool closed_ = false;  // no longer counted in the limits
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One client connection: reads requests one at a time (keep-alive), answers each, and closes on
// error, timeout, an over-limit request, or when the client or the server asks to. With TLS the
// handshake comes first, within http.request_timeout; a client certificate the web config
// requires is checked by OpenSSL during it, so a refused client never gets to send a request.
template <class Stream>
class StreamSession : public Session, public std::enable_shared_from_this<StreamSession<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  StreamSession(tcp::socket socket, asio::ip::address peer,
                std::shared_ptr<HttpServer::State> state)
      : Session(std::move(state), std::move(peer)),
        web_(state_->web),
        stream_(make_stream(std::move(socket))),
        buffer_(state_->config.max_request_bytes) {}

  void start() {
    count_open();
    if constexpr (kTls) {
      handshake();
    } else {
      read_request();
    }
  }

  void close() override {
    forget();
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

 private:
  Stream make_stream(tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *web_->tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<StreamSession> self() { return this->shared_from_this(); }

  // Fixed when the connection opened: a reload's new limit applies to new connections.
  std::size_t limit() const { return buffer_.max_size(); }

  void handshake() {
    first_request_ = false;  // the handshake's deadline covered a silent client
    lowest().expires_after(state_->config.request_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server, [self = self()](error_code ec) {
      if (ec) {
        // A wrong or missing client certificate, plain HTTP to a TLS port, a scanner: the
        // client is told by the TLS alert; nothing here is worth more than a debug line.
        spdlog::debug("http: TLS handshake with {} failed: {}", self->peer_.to_string(),
                      ec.message());
        return self->close();
      }
      self->read_request();
    });
  }

  void read_request() {
    busy_ = false;
    idle_since_ = std::chrono::steady_clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limit(), std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(limit());
    // One deadline for the whole request, not per read: a client trickling a byte at a time
    // (slowloris) is cut off just like one that sends nothing.
    const auto deadline = std::chrono::steady_clock::now() + state_->config.request_timeout;
    if (first_request_) {
      // A new connection that stays silent is not a scraper: it gets much less time.
      first_request_ = false;
      lowest().expires_after(
          std::min<std::chrono::milliseconds>(kFirstByteTimeout, state_->config.request_timeout));
      const auto room = std::min<std::size_t>(buffer_.max_size() - buffer_.size(), 1024);
      stream_.async_read_some(buffer_.prepare(room),
                              [self = self(), deadline](error_code ec, std::size_t n) {
                                if (ec) return self->on_read_error(ec);
                                self->buffer_.commit(n);
                                self->read_header(deadline);
                              });
      return;
    }
    read_header(deadline);
  }

  void read_header(std::chrono::steady_clock::time_point deadline) {
    lowest().expires_at(deadline);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&StreamSession::on_header, self()));
  }

  void on_header(error_code ec, std::size_t header_bytes) {
    if (ec) return on_read_error(ec);
    busy_ = true;
    const auto length = parser_->content_length();
    if (header_bytes >= limit() || (length && *length > limit() - header_bytes)) {
      return reject(http::status::payload_too_large, "Request Too Large\n");
    }
    if (parser_->is_done()) return on_request();
    // Chunked bodies have no length up front; the parser enforces what is left of the budget.
    parser_->body_limit(limit() - header_bytes);
    http::async_read(stream_, buffer_, *parser_, [self = self()](error_code read_ec, std::size_t) {
      if (read_ec) return self->on_read_error(read_ec);
      self->on_request();
    });
  }

  void on_read_error(const error_code& ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::ssl::error::stream_truncated)
      return close();
    if (ec == beast::error::timeout) {
      // tcp_stream has already closed the socket; there is nobody left to answer.
      forget();
      spdlog::debug("http: closed a connection idle or mid-request for {}ms (http.request_timeout)",
                    state_->config.request_timeout.count());
      return;
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return reject(http::status::request_header_fields_too_large,
                    "Request Header Fields Too Large\n");
    if (ec == http::error::body_limit)
      return reject(http::status::payload_too_large, "Request Too Large\n");
    if (is_parse_error(ec)) return reject(http::status::bad_request, "Bad Request\n");
    close();  // reset by peer and the like: nothing to answer
  }

  // Every endpoint, unknown paths included, is behind the web config's basic auth (as in
  // exporter-toolkit): without valid credentials nothing says what exists.
  void on_request() {
    web_ = state_->web;  // a reload's users apply from the next request
    const auto& auth = web_->auth;
    if (!auth.enabled()) return answer(true);
    const auto header = parser_->get()[http::field::authorization];
    switch (auth.quick(header)) {
      case BasicAuth::Verdict::allowed:
        return answer(true);
      case BasicAuth::Verdict::refused:
        return answer(false);
      case BasicAuth::Verdict::needs_bcrypt:
        break;
    }
    // bcrypt takes tens of milliseconds by design: not on the event loop, where every other
    // connection and the probes' timers live. One thread: checks queue rather than pile up.
    asio::post(
        *state_->auth_pool, [self = self(), web = web_, header = std::string(header)]() mutable {
          const bool ok = web->auth.verify(header);
          auto& io = self->state_->io;
          // Everything moves to the event loop: nothing of the session is released on this thread.
          asio::post(io, [self = std::move(self), web = std::move(web), ok] { self->answer(ok); });
        });
  }

  void answer(bool authorized) {
    if (closed_) return;  // stopped or evicted meanwhile
    const auto& req = parser_->get();
    if (authorized) {
      response_ = dispatch_request(req, state_->handlers);
    } else {
      response_ = make_text(http::status::unauthorized, "Unauthorized\n", req.version());
      response_.set(http::field::www_authenticate, "Basic");
    }
    response_.keep_alive(req.keep_alive());
    response_.prepare_payload();
    if (req.method() == http::verb::head) {
      // HEAD announces the length GET would send, and sends nothing.
      const auto size = response_.body().size();
      response_.body().clear();
      response_.content_length(size);
    }
    write(/*linger_after=*/false);
  }

  // An error we answer and then close: the rest of the request is not worth parsing.
  void reject(http::status status, std::string body) {
    response_ = make_text(status, std::move(body), 11);
    response_.keep_alive(false);
    response_.prepare_payload();
    write(/*linger_after=*/true);
  }

  void write(bool linger_after) {
    for (const auto& [name, value] : web_->headers) response_.set(name, value);
    // A client that does not read its response holds the connection no longer than one that
    // does not send its request.
    lowest().expires_after(state_->config.request_timeout);
    http::async_write(stream_, response_,
                      [self = self(), linger_after](error_code ec, std::size_t) {
                        self->on_write(ec, linger_after);
                      });
  }

  void on_write(const error_code& ec, bool linger_after) {
    if (ec) return close();
    if (linger_after) return linger();
    if (!response_.keep_alive()) {
      error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      return close();
    }
    read_request();
  }

  void linger() {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(
        std::min<std::chrono::milliseconds>(kLingerLimit, state_->config.request_timeout));
    discard();
  }

  // Below TLS: what is left is only read to be thrown away.
  void discard() {
    lowest().async_read_some(asio::buffer(discard_), [self = self()](error_code ec, std::size_t) {
      if (ec) return self->close();
      self->discard();
    });
  }

  std::shared_ptr<const WebSecurity> web_;  // the web config this connection was accepted with
  Stream stream_;
  beast::flat_buffer buffer_;  // bounded: never holds more than max_request_bytes
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  bool first_request_ = true;
  std::array<char, 1024> discard_{};
};

// A Session for `socket`, plain or TLS as the current web config says, started.
void start_session(tcp::socket socket, const asio::ip::address& peer,
                   const std::shared_ptr<HttpServer::State>& state) {
  if (state->web->tls) {
    std::make_shared<StreamSession<TlsStream>>(std::move(socket), peer, state)->start();
  } else {
    std::make_shared<StreamSession<beast::tcp_stream>>(std::move(socket), peer, state)->start();
  }
}

}  // namespace

void HttpServer::State::listen() {
  const auto endpoint = resolve_listen(io, config.listen);
  try {
    acceptor.open(endpoint.protocol());
    // A restart must not fail because the previous process's connections sit in TIME_WAIT.
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
#ifdef TCP_DEFER_ACCEPT
    // The kernel hands over a connection only once it has sent something (or after the first
    // byte's deadline): a silent socket costs neither a descriptor nor a turn of the event loop
    // here, and a flood of them cannot crowd out a scraper, whose request follows its connect.
    const int defer_seconds = static_cast<int>(
        std::chrono::duration_cast<std::chrono::seconds>(kFirstByteTimeout).count());
    if (::setsockopt(acceptor.native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds,
                     sizeof defer_seconds) != 0)
      spdlog::debug("http: TCP_DEFER_ACCEPT not available: {}", std::strerror(errno));
#endif
    port = acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(
        fmt::format("cannot listen on {}: {}", config.listen, e.code().message()));
  }
}

void HttpServer::State::accept_next() {
  acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void HttpServer::State::on_accept(const error_code& ec, tcp::socket socket) {
  if (stopped || ec == asio::error::operation_aborted) return;
  if (ec) {
    spdlog::warn("http: accept failed: {}; retrying", ec.message());
    retry_timer.expires_after(kAcceptRetryDelay);
    retry_timer.async_wait([self = shared_from_this()](error_code wait_ec) {
      if (!wait_ec && !self->stopped) self->accept_next();
    });
    return;
  }
  error_code peer_error;
  const auto peer = socket.remote_endpoint(peer_error).address();
  if (peer_error) {  // already gone (reset before we got to it)
    accept_next();
    return;
  }
  if (!at_limit(peer)) {
    start_session(std::move(socket), peer, shared_from_this());
  } else {
    // Room is made by closing an idle connection, never by refusing a newcomer that asks:
    // otherwise whoever holds the slots first, sending nothing, keeps every scraper out. Only
    // one that asks displaces anybody, so a flood of silent sockets re-opened as fast as they
    // are closed only meets cheap refusals, and the slots keep serving.
    error_code available_error;
    const bool asked = socket.available(available_error) > 0 && !available_error;
    if (asked) {
      admit(std::move(socket), peer);
    } else {
      wait_for_request(std::move(socket), peer);
    }
  }
  accept_next();
}

bool HttpServer::State::at_limit(const asio::ip::address& peer) const {
  const auto from_peer = open_by_address.find(peer);
  return open >= config.max_connections ||
         (from_peer != open_by_address.end() &&
          from_peer->second >= per_address_limit(config.max_connections));
}

void HttpServer::State::admit(tcp::socket socket, const asio::ip::address& peer) {
  const auto from_peer = open_by_address.find(peer);
  const bool peer_full = from_peer != open_by_address.end() &&
                         from_peer->second >= per_address_limit(config.max_connections);
  if ((peer_full && !evict_idle(&peer)) ||
      (open >= config.max_connections && !evict_idle(nullptr))) {
    refuse(socket);
    return;
  }
  start_session(std::move(socket), peer, shared_from_this());
}

struct HttpServer::State::Waiting {
  Waiting(tcp::socket s, asio::io_context& io) : socket(std::move(s)), timer(io) {}
  tcp::socket socket;
  asio::steady_timer timer;
  bool decided = false;
};

void HttpServer::State::wait_for_request(tcp::socket socket, const asio::ip::address& peer) {
  // Full of silent newcomers: the oldest of them gives way, so a flood of them cannot crowd out
  // a scraper whose request is a moment behind its connect.
  while (waiting >= kMaxWaiting && !waiting_queue.empty()) {
    const auto oldest = waiting_queue.front().lock();
    waiting_queue.pop_front();
    if (!oldest || oldest->decided) continue;
    oldest->decided = true;
    --waiting;
    oldest->timer.cancel();
    refuse(oldest->socket);
  }
  while (!waiting_queue.empty() && waiting_queue.front().expired()) waiting_queue.pop_front();
  ++waiting;
  auto w = std::make_shared<Waiting>(std::move(socket), io);
  waiting_queue.push_back(w);
  w->timer.expires_after(kAskWithin);
  w->timer.async_wait([self = shared_from_this(), w](error_code) {
    if (w->decided) return;
    w->decided = true;
    --self->waiting;
    self->refuse(w->socket);  // silent all this time: not a scraper
  });
  w->socket.async_wait(tcp::socket::wait_read, [self = shared_from_this(), w, peer](error_code ec) {
    if (w->decided) return;
    w->decided = true;
    --self->waiting;
    w->timer.cancel();
    error_code available_error;
    if (ec || self->stopped || w->socket.available(available_error) == 0 || available_error) {
      error_code ignored;  // gone, or closed without a word (readable at end of stream)
      w->socket.close(ignored);
      return;
    }
    if (self->at_limit(peer)) {
      self->admit(std::move(w->socket), peer);
    } else {
      start_session(std::move(w->socket), peer, self);
    }
  });
}

bool HttpServer::State::evict_idle(const asio::ip::address* peer) {
  Session* oldest = nullptr;
  for (Session* s : sessions)
    if (s->idle() && (peer == nullptr || s->peer() == *peer) &&
        (oldest == nullptr || s->idle_since() < oldest->idle_since()))
      oldest = s;
  if (oldest == nullptr) return false;
  oldest->close();
  ++evicted_since_log;
  const auto now = std::chrono::steady_clock::now();
  if (!last_eviction_log || now - *last_eviction_log >= kRefusalLogInterval) {
    log_evictions(now);
  } else {
    arm_log_timer();
  }
  return true;
}

void HttpServer::State::log_evictions(std::chrono::steady_clock::time_point now) {
  spdlog::warn(
      "http: closed {} idle connection(s) to make room for new ones (http.max_connections {}, "
      "{} per address)",
      evicted_since_log, config.max_connections, per_address_limit(config.max_connections));
  evicted_since_log = 0;
  last_eviction_log = now;
}

void HttpServer::State::log_refusals(std::chrono::steady_clock::time_point now) {
  spdlog::warn(
      "http: refused {} connection(s) at the limit ({} open; http.max_connections {}, {} per "
      "address): silent for {} ms, or every connection busy answering",
      refused_since_log, open, config.max_connections, per_address_limit(config.max_connections),
      kAskWithin.count());
  refused_since_log = 0;
  last_refusal_log = now;
}

void HttpServer::State::flush_summaries(bool all) {
  const auto now = std::chrono::steady_clock::now();
  const auto due = [&](const auto& last) {
    return all || !last || now - *last >= kRefusalLogInterval;
  };
  if (refused_since_log > 0 && due(last_refusal_log)) log_refusals(now);
  if (evicted_since_log > 0 && due(last_eviction_log)) log_evictions(now);
}

void HttpServer::State::arm_log_timer() {
  if (log_timer_armed || stopped) return;
  log_timer_armed = true;
  // When the older of the held-back summaries is due.
  auto due = std::chrono::steady_clock::now() + kRefusalLogInterval;
  if (refused_since_log > 0 && last_refusal_log)
    due = std::min(due, *last_refusal_log + kRefusalLogInterval);
  if (evicted_since_log > 0 && last_eviction_log)
    due = std::min(due, *last_eviction_log + kRefusalLogInterval);
  log_timer.expires_at(due);
  log_timer.async_wait([self = shared_from_this()](error_code ec) {
    self->log_timer_armed = false;
    if (ec || self->stopped) return;
    self->flush_summaries(false);
    if (self->refused_since_log > 0 || self->evicted_since_log > 0) self->arm_log_timer();
  });
}

// Over max_connections: one non-blocking attempt to say so, then close. Never queue the
// connection, or a flood of idle clients would grow memory and file descriptors without bound.
void HttpServer::State::refuse(tcp::socket& socket) {
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: 26\r\n"
      "Connection: close\r\n"
      "\r\n"
      "Too many open connections\n";
  error_code ignored;
  socket.non_blocking(true, ignored);
  // Plain text would be garbage to a TLS client, which sees the closed connection instead.
  if (!web->tls) socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);

  ++refused_since_log;
  const auto now = std::chrono::steady_clock::now();
  if (!last_refusal_log || now - *last_refusal_log >= kRefusalLogInterval) {
    log_refusals(now);
  } else {
    arm_log_timer();
  }
}

void HttpServer::State::stop() {
  if (stopped) return;
  stopped = true;
  error_code ignored;
  acceptor.close(ignored);
  retry_timer.cancel();
  log_timer.cancel();
  flush_summaries(true);
  // close() only cancels; the sessions leave the set later, as their handlers run.
  for (Session* session : std::vector<Session*>(sessions.begin(), sessions.end())) session->close();
}

HttpServer::HttpServer(asio::io_context& io, const config::HttpConfig& config,
                       HttpHandlers handlers, std::shared_ptr<const WebSecurity> web)
    : auth_pool_(std::make_shared<asio::thread_pool>(1)),
      state_(std::make_shared<State>(io, config, std::move(handlers),
                                     web ? std::move(web) : std::make_shared<WebSecurity>(),
                                     auth_pool_)) {
  state_->listen();
}

HttpServer::~HttpServer() {
  stop();
  // A check in flight finishes and hands its session to the event loop; none starts later.
  auth_pool_->join();
}

void HttpServer::set_web_security(std::shared_ptr<const WebSecurity> web) {
  if (!web) web = std::make_shared<WebSecurity>();
  asio::dispatch(state_->io, [state = state_, web = std::move(web)] { state->web = web; });
}

void HttpServer::start() {
  asio::dispatch(state_->io, [state = state_] {
    if (state->started || state->stopped) return;
    state->started = true;
    spdlog::debug("http: listening on {} (port {})", state->config.listen, state->port);
    state->accept_next();
  });
}

void HttpServer::stop() {
  asio::dispatch(state_->io, [state = state_] { state->stop(); });
}

void HttpServer::reconfigure(const config::HttpConfig& config) {
  asio::dispatch(state_->io, [state = state_, config] {
    const auto listen = state->config.listen;
    state->config = config;
    state->config.listen = listen;
  });
}

std::uint16_t HttpServer::port() const {
  return state_->port;
}

}  // namespace qw::daemon
