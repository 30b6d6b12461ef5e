#pragma once
// One round's HTTP side, as pure functions so that tests reach every branch without a server:
// the request a round sends (conditional on the last 200's validators) and what its result
// means (a document, "not modified", or a failure with its reason).
#include <string>

#include "alerts/http_client.hpp"
#include "config/config.hpp"
#include "probes/provider_status/fetch_failure.hpp"

namespace qw::probes::provider {

// From the last 200: sent back as If-None-Match and If-Modified-Since.
struct Validators {
  std::string etag;
  std::string last_modified;
  bool operator==(const Validators&) const = default;
};

alerts::HttpRequest build_request(const config::ProviderConfig& provider,
                                  const Validators& validators);

struct FetchOutcome {
  FetchFailure failure = FetchFailure::none;
  std::string detail;         // the transport's words, or "HTTP 500", for logs and the sample
  bool not_modified = false;  // a 304: the last incidents still hold
  std::string body;           // a 2xx's document
  Validators validators;      // what the next request sends
};

// `previous`: the validators the request was built with (a 304 keeps them).
FetchOutcome classify(const alerts::HttpResult& result, const Validators& previous);

}  // namespace qw::probes::provider
