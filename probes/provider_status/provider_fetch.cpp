#include "probes/provider_status/provider_fetch.hpp"

#include <fmt/format.h>

namespace qw::probes::provider {

namespace {

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// HttpClient's errors are "<step>: <message>" (alerts/http_client.cpp): the step says where the
// fetch broke, and a deadline is "<step>: timeout after N ms" whatever the step.
FetchFailure transport_failure(const std::string& error) {
  if (error.find("timeout after") != std::string::npos) return FetchFailure::timeout;
  if (starts_with(error, "resolve")) return FetchFailure::dns;
  if (starts_with(error, "TLS")) return FetchFailure::tls;
  return FetchFailure::connect;  // connect, write, read: the connection failed or broke
}

}  // namespace

alerts::HttpRequest build_request(const config::ProviderConfig& provider,
                                  const Validators& validators) {
  alerts::HttpRequest request;
  request.method = "GET";
  request.url = provider.url;
  request.timeout = provider.timeout;
  request.max_body = static_cast<std::size_t>(provider.max_bytes);
  request.headers.emplace_back("Accept", provider.kind == config::ProviderKind::statuspage
                                             ? "application/json"
                                             : "application/rss+xml, application/atom+xml, "
                                               "application/xml;q=0.9, text/xml;q=0.9");
  if (!validators.etag.empty()) request.headers.emplace_back("If-None-Match", validators.etag);
  if (!validators.last_modified.empty())
    request.headers.emplace_back("If-Modified-Since", validators.last_modified);
  return request;
}

FetchOutcome classify(const alerts::HttpResult& result, const Validators& previous) {
  FetchOutcome out;
  out.validators = previous;
  if (!result.response) {
    out.failure = transport_failure(result.error);
    out.detail = result.error;
    return out;
  }
  const auto& response = *result.response;
  if (response.status == 304) {
    out.not_modified = true;
    return out;
  }
  if (response.status < 200 || response.status > 299) {
    out.failure = FetchFailure::http_status;
    out.detail = fmt::format("HTTP {}", response.status);
    return out;
  }
  if (response.body_too_large) {
    out.failure = FetchFailure::too_large;
    out.detail = "the body exceeds max_bytes";
    return out;
  }
  out.body = response.body;
  // A 200 without validators clears the old ones: they describe a version no longer served.
  const auto header = [&](const char* name) {
    const auto it = response.headers.find(name);
    return it == response.headers.end() ? std::string() : it->second;
  };
  out.validators = {header("etag"), header("last-modified")};
  return out;
}

}  // namespace qw::probes::provider
