#pragma once
// The daemon's HTTP endpoint: /metrics for Prometheus, /-/healthy and /-/ready for orchestration.
// Asynchronous on the caller's io_context (one event loop thread; nothing here ever blocks).
// Beast stays inside http_server.cpp: it is heavy to compile, and nothing else needs it.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "config/config.hpp"

namespace qw::daemon {

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
  HttpServer(boost::asio::io_context& io, const config::HttpConfig& config, HttpHandlers handlers);
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts accepting. Safe from any thread; the work happens on the event loop.
  void start();
  // Stops accepting and closes every open connection. Safe from any thread, idempotent.
  void stop();
  // The bound port: with "host:0" the kernel picks one (tests use that).
  std::uint16_t port() const;

  struct State;  // shared with in-flight connections, so none outlives what it uses

 private:
  std::shared_ptr<State> state_;
};

}  // namespace qw::daemon
