#include "alerts/http_client.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace qw::alerts {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

// Responses are read up to this size; only kMaxKeptBody of it is kept. A receiver that answers
// with more is misbehaving, and reading on would only let it hold the worker.
constexpr std::size_t kMaxReadBody = 1024 * 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Percent-decoding of userinfo, so "user:p%40ss" authenticates as "p@ss".
std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Everything one request needs, alive on send()'s stack until the coroutine has finished.
struct Exchange {
  Exchange(asio::io_context& io, const HttpRequest& r, Url u)
      : request(r), url(std::move(u)), resolver(io) {}

  const HttpRequest& request;
  const Url url;
  tcp::resolver resolver;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  const char* step = "resolve";
  bool done = false;
  HttpResult result;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void fail(const error_code& ec) { result.error = fmt::format("{}: {}", step, ec.message()); }
};

http::request<http::string_body> build_request(const Exchange& ex) {
  const auto verb = http::string_to_verb(ex.request.method);
  http::request<http::string_body> req{verb == http::verb::unknown ? http::verb::post : verb,
                                       ex.url.target, 11};
  const bool default_port = (ex.url.scheme == "http" && ex.url.port == "80") ||
                            (ex.url.scheme == "https" && ex.url.port == "443");
  const std::string host =
      ex.url.host.find(':') != std::string::npos ? "[" + ex.url.host + "]" : ex.url.host;
  req.set(http::field::host, default_port ? host : host + ":" + ex.url.port);
  req.set(http::field::user_agent, "queuewatch");
  req.set(http::field::connection, "close");
  if (!ex.url.userinfo.empty()) {
    req.set(http::field::authorization, "Basic " + base64(percent_decode(ex.url.userinfo)));
  }
  for (const auto& [name, value] : ex.request.headers) req.set(name, value);
  if (!ex.request.body.empty() || req.method() == http::verb::post) {
    req.body() = ex.request.body;
    req.prepare_payload();
  }
  return req;
}

template <typename Stream>
asio::awaitable<void> exchange_on(Exchange& ex, Stream& stream) {
  constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
  ex.step = "write";
  auto req = build_request(ex);
  if (auto [ec, n] = co_await http::async_write(stream, req, tuple); ec) {
    ex.fail(ec);
    co_return;
  }
  ex.step = "read";
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  const auto limit = ex.request.max_body;
  parser.body_limit(limit ? *limit : kMaxReadBody);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, tuple);
  const bool oversized = ec == http::error::body_limit && parser.is_header_done();
  if (ec && !oversized) {
    ex.fail(ec);
    co_return;
  }
  HttpResponse response;
  const auto& res = parser.get();
  response.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    response.headers[lower(std::string(field.name_string()))] = std::string(field.value());
  }
  if (limit) {
    // The caller reads this body: a part of it is no document, so none is kept.
    response.body_too_large = oversized;
    if (!oversized) response.body = res.body();
    ex.result.response = std::move(response);
    co_return;
  }
  response.body = res.body();
  response.body_truncated = oversized;
  if (response.body.size() > HttpClient::kMaxKeptBody) {
    response.body.resize(HttpClient::kMaxKeptBody);
    response.body_truncated = true;
  }
  ex.result.response = std::move(response);
}

asio::awaitable<void> run_exchange(Exchange& ex, ssl::context* tls) {
  constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
  auto [resolve_ec, endpoints] =
      co_await ex.resolver.async_resolve(ex.url.host, ex.url.port, tuple);
  if (resolve_ec) {
    ex.fail(resolve_ec);
    co_return;
  }
  ex.step = "connect";
  auto executor = co_await asio::this_coro::executor;
  if (tls) {
    ex.secure.emplace(executor, *tls);
  } else {
    ex.plain.emplace(executor);
  }
  if (auto [ec, ep] = co_await ex.lowest().async_connect(endpoints, tuple); ec) {
    ex.fail(ec);
    co_return;
  }
  if (!tls) {
    co_await exchange_on(ex, *ex.plain);
    co_return;
  }
  ex.step = "TLS handshake";
  // SNI: virtual-hosted HTTPS (every SaaS receiver) picks its certificate by it.
  if (!is_ip_literal(ex.url.host) &&
      // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
      SSL_ctrl(ex.secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(ex.url.host.c_str())) != 1) {
    ex.result.error = "TLS handshake: cannot set SNI host name";
    co_return;
  }
  if (ex.request.tls_verify) {
    ex.secure->set_verify_callback(ssl::host_name_verification(ex.url.host));
  }
  if (auto [ec] = co_await ex.secure->async_handshake(ssl::stream_base::client, tuple); ec) {
    ex.fail(ec);
    co_return;
  }
  co_await exchange_on(ex, *ex.secure);
}

}  // namespace

std::optional<Url> parse_url(const std::string& text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  url.scheme = lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string rest = text.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, authority_end);
  std::string target = authority_end == std::string::npos ? "/" : rest.substr(authority_end);
  if (const auto hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (target.empty() || target[0] != '/') target = "/" + target;
  url.target = target;
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    url.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    url.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::nullopt;
  if (!port.empty() && (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        }))) {
    return std::nullopt;
  }
  url.port = !port.empty() ? port : (url.scheme == "https" ? "443" : "80");
  return url;
}

std::string redact_url(const std::string& text) {
  const auto url = parse_url(text);
  if (!url) return "<invalid URL>";
  // Any path may be a credential (Slack's /services/T/B/token, healthchecks.io's /<uuid>):
  // only whether there is one is shown.
  const std::string path = url->target == "/" ? "" : "/...";
  const std::string host =
      url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  return fmt::format("{}://{}:{}{}", url->scheme, host, url->port, path);
}

struct HttpClient::Impl {
  asio::io_context io;
  std::atomic<bool> cancelled{false};
  // Contexts are built once per (verify, ca_file): loading the system store costs milliseconds.
  std::map<std::pair<bool, std::string>, std::unique_ptr<ssl::context>> tls_contexts;

  ssl::context& tls_context(bool verify, const std::optional<std::string>& ca_file) {
    auto key = std::make_pair(verify, ca_file.value_or(""));
    auto& slot = tls_contexts[key];
    if (!slot) {
      auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3);
      if (verify) {
        ctx->set_verify_mode(ssl::verify_peer);
        if (ca_file) {
          ctx->load_verify_file(*ca_file);  // throws: reported as the attempt's error
        } else {
          ctx->set_default_verify_paths();
        }
      } else {
        ctx->set_verify_mode(ssl::verify_none);
      }
      slot = std::move(ctx);
    }
    return *slot;
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;

void HttpClient::cancel() {
  impl_->cancelled = true;
  impl_->io.stop();  // thread-safe: run_for() in send() returns, and send() unwinds
}

HttpResult HttpClient::send(const HttpRequest& request) {
  auto url = parse_url(request.url);
  if (!url) return {std::nullopt, "invalid URL " + redact_url(request.url)};
  ssl::context* tls = nullptr;
  if (url->scheme == "https") {
    try {
      tls = &impl_->tls_context(request.tls_verify, request.ca_file);
    } catch (const std::exception& e) {
      return {std::nullopt, fmt::format("TLS setup: {}", e.what())};
    }
  }

  Exchange ex(impl_->io, request, *url);
  impl_->io.restart();
  // After restart(): a cancel() before it set the flag first; one after it stops run_for().
  if (impl_->cancelled) return {std::nullopt, "cancelled"};
  asio::co_spawn(impl_->io, run_exchange(ex, tls), [&ex](std::exception_ptr error) {
    ex.done = true;
    if (error && ex.result.error.empty() && !ex.result.response) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        ex.result.error = fmt::format("{}: {}", ex.step, e.what());
      }
    }
  });
  impl_->io.run_for(request.timeout);
  if (!ex.done) {
    // The deadline passed mid-step: cancel what is pending and let the coroutine unwind, so
    // nothing on this stack is referenced after we return.
    const std::string step = ex.step;
    error_code ignored;
    ex.resolver.cancel();
    if (ex.plain || ex.secure) ex.lowest().socket().close(ignored);
    impl_->io.restart();
    impl_->io.run();
    ex.result.response.reset();
    ex.result.error = impl_->cancelled
                          ? std::string("cancelled")
                          : fmt::format("{}: timeout after {} ms", step, request.timeout.count());
  }
  return std::move(ex.result);
}

}  // namespace qw::alerts
