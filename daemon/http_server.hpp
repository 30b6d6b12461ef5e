#pragma once
// The daemon's HTTP endpoint: /metrics for Prometheus, /-/healthy and /-/ready for orchestration.
// Asynchronous on the caller's io_context (one event loop thread; nothing here ever blocks).
//
// Any local process can open sockets, so a flood of idle or trickling ones must not lock the
// scraper out: a new connection must send its first byte within kFirstByteTimeout and its whole
// request within http.request_timeout (and until it sends something the kernel does not even
// hand it over: TCP_DEFER_ACCEPT); one address holds at most a quarter of
// http.max_connections (at least 8); and at either limit a newcomer that sends its request
// within 200 ms closes the connection idle the longest (one that has not sent a complete
// request) to make room. Silent newcomers, and any newcomer when every connection is busy
// answering, are answered 503.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "config/config.hpp"
#include "daemon/web_security.hpp"

namespace boost::asio {
class thread_pool;
}

namespace qw::daemon {

// How long a new connection may stay silent: a real client sends its request as soon as it has
// connected. (Capped by http.request_timeout, the deadline for the whole request.)
inline constexpr std::chrono::milliseconds kFirstByteTimeout{2000};

// The most connections one client address may hold: a quarter of the total, at least 8.
std::size_t per_address_limit(std::size_t max_connections);

struct HttpHandlers {
  // The exposition text. Called on the event loop: it must only serialize, never query.
  std::function<std::string()> metrics_text;
  // Whether the daemon is ready to be scraped (config loaded, probes scheduled).
  std::function<bool()> ready;
};

// The io_context must outlive the server (the usual Asio rule): stop() and the destructor hand
// their work to it.
class HttpServer {
 public:
  // Binds and listens at once, so a bad address or a taken port fails at startup with a clear
  // std::runtime_error ("cannot listen on 127.0.0.1:9187: Address already in use").
  // `web` (from --web.config.file) adds TLS and basic auth to every endpoint; null: neither.
  HttpServer(boost::asio::io_context& io, const config::HttpConfig& config, HttpHandlers handlers,
             std::shared_ptr<const WebSecurity> web = nullptr);
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts accepting. Safe from any thread; the work happens on the event loop.
  void start();
  // Stops accepting and closes every open connection. Safe from any thread, idempotent.
  void stop();
  // A reload: applies the new limits and timeouts to connections accepted from now on (and to
  // the next request of open ones). The listen address needs a restart: it is ignored here.
  void reconfigure(const config::HttpConfig& config);
  // A reload of the web config: new connections use its TLS settings, and every request from
  // now on its users and headers. Connections already open keep their TLS session.
  void set_web_security(std::shared_ptr<const WebSecurity> web);
  // The bound port: with "host:0" the kernel picks one (tests use that).
  std::uint16_t port() const;

  struct State;  // shared with in-flight connections, so none outlives what it uses

 private:
  std::shared_ptr<boost::asio::thread_pool> auth_pool_;
  std::shared_ptr<State> state_;
};

}  // namespace qw::daemon
