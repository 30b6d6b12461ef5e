#pragma once
// The HTTP transport shared by webhook, alertmanager, pagerduty and slack: encode, POST as
// JSON, classify the answer by the retry policy (delivery_policy.hpp). Only the encoder and the
// URL differ between receiver kinds.
#include <functional>
#include <memory>
#include <string>

#include <boost/json/value.hpp>

#include "alerts/http_client.hpp"
#include "alerts/notifiers/encode_context.hpp"
#include "alerts/notifiers/sink.hpp"
#include "config/alerting_config.hpp"

namespace qw::alerts::notifiers {

using Encoder =
    std::function<boost::json::value(const std::vector<Notification>&, const EncodeContext&)>;

struct HttpSinkOptions {
  std::string kind;  // "webhook", for describe()
  std::string url;   // secret: may carry a token
  std::chrono::milliseconds timeout{10000};
  bool tls_verify = true;
  std::optional<std::string> ca_file;
  std::string external_url;
  std::string receiver;
  std::chrono::milliseconds resend_interval{0};  // > 0: re-post firing alerts (alertmanager)
};

class HttpSink : public Sink {
 public:
  // `encode` gets one notification, or for a re-post every firing one (alertmanager batches).
  HttpSink(HttpSinkOptions options, Encoder encode);

  SendResult send(const Notification& n) override;
  SendResult resend(const std::vector<Notification>& firing) override;
  std::chrono::milliseconds resend_interval() const override { return options_.resend_interval; }
  std::string describe() const override;
  void cancel() override { client_.cancel(); }

 private:
  SendResult post(const std::vector<Notification>& notifications);

  HttpSinkOptions options_;
  Encoder encode_;
  HttpClient client_;
};

}  // namespace qw::alerts::notifiers
