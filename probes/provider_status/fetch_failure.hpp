#pragma once
// Why a round could not read a provider's feed. A fixed set (the `reason` label of
// queuewatch_provider_fetch_failures_total), apart from probes::FailureReason: those name a
// database's failures, these an HTTP fetch's.
#include <array>
#include <string_view>

namespace qw::probes::provider {

enum class FetchFailure {
  none,
  timeout,      // the whole fetch (resolve to last byte) took longer than `timeout`
  connect,      // TCP refused or reset, or the connection broke mid-exchange
  dns,          // the host name did not resolve
  tls,          // TLS could not be set up or the certificate did not verify
  http_status,  // an answer other than 2xx or 304
  too_large,    // the body exceeds max_bytes: refused, not read on
  malformed,    // the document does not parse as the configured kind
};

inline constexpr std::array kAllFetchFailures = {
    FetchFailure::timeout,     FetchFailure::connect,   FetchFailure::dns,       FetchFailure::tls,
    FetchFailure::http_status, FetchFailure::too_large, FetchFailure::malformed,
};

constexpr std::string_view to_string(FetchFailure failure) {
  switch (failure) {
    case FetchFailure::none:
      return "none";
    case FetchFailure::timeout:
      return "timeout";
    case FetchFailure::connect:
      return "connect";
    case FetchFailure::dns:
      return "dns";
    case FetchFailure::tls:
      return "tls";
    case FetchFailure::http_status:
      return "http_status";
    case FetchFailure::too_large:
      return "too_large";
    case FetchFailure::malformed:
      return "malformed";
  }
  return "none";
}

}  // namespace qw::probes::provider
