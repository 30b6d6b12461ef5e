// Fuzzes the daemon's HTTP server (daemon::HttpServer, Beast underneath) the way a client
// reaches it: the input is sent as-is over a real loopback TCP connection, the client then
// half-closes, and reads until the server closes. Whatever the bytes (one request, several
// pipelined, garbage), the server answers with HTTP responses or closes, and never crashes,
// hangs or trips a sanitizer.
//
// One thread: the server and this client share one io_context, driven here until the exchange
// ends, so each input runs the same way every time.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "daemon/http_server.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// The server's own limits bound every exchange: its request timeout, then its lingering read
// of what follows an error response. Longer than both together means the server hangs.
constexpr auto kRequestTimeout = 2s;
constexpr auto kExchangeLimit = 15s;

struct Fixture {
  asio::io_context io;
  std::unique_ptr<qw::daemon::HttpServer> server;
  tcp::endpoint endpoint;

  Fixture() {
    qw::config::HttpConfig config;
    config.listen = "127.0.0.1:0";
    config.request_timeout = std::chrono::duration_cast<qw::config::Duration>(kRequestTimeout);
    server = std::make_unique<qw::daemon::HttpServer>(
        io, config,
        qw::daemon::HttpHandlers{
            [] { return std::string("# TYPE queuewatch_up gauge\nqueuewatch_up 1\n"); },
            [] { return true; }});
    server->start();
    endpoint = tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port());
  }
};

Fixture& fixture() {
  static Fixture* f = new Fixture();  // never destroyed: libFuzzer exits without unwinding
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = fixture();
  const std::string request(reinterpret_cast<const char*>(data), size);
  std::string response;
  bool done = false;

  tcp::socket client(f.io);
  asio::steady_timer limit(f.io, kExchangeLimit);
  limit.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    std::fprintf(stderr, "http_request: the server held the connection for %lld s\n",
                 static_cast<long long>(kExchangeLimit.count()));
    __builtin_trap();
  });
  auto read_all = [&] {
    asio::async_read(client, asio::dynamic_buffer(response),
                     [&](boost::system::error_code, std::size_t) { done = true; });
  };
  client.async_connect(f.endpoint, [&](boost::system::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "http_request: connect: %s\n", ec.message().c_str());
      __builtin_trap();
    }
    read_all();  // at once: the server may answer (and close) before the request is all sent
    asio::async_write(client, asio::buffer(request),
                      [&](boost::system::error_code wec, std::size_t) {
                        boost::system::error_code ignored;
                        if (!wec) client.shutdown(tcp::socket::shutdown_send, ignored);
                      });
  });
  f.io.restart();
  while (!done) f.io.run_one();
  limit.cancel();
  client.close();
  // Let the server finish with its side (and the cancelled timer run) before the next input.
  f.io.poll();

  // Whatever came back is HTTP: a server that answers at all answers with a status line (in the
  // request's version: 1.0 or 1.1).
  if (!response.empty() && std::string_view(response).substr(0, 7) != "HTTP/1.") __builtin_trap();
  return 0;
}
