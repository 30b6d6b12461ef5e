#include "alerts/notifiers/sink_factory.hpp"

#include "alerts/notifiers/alertmanager/alertmanager_encoder.hpp"
#include "alerts/notifiers/http_sink.hpp"
#include "alerts/notifiers/log/log_sink.hpp"
#include "alerts/notifiers/pagerduty/pagerduty_encoder.hpp"
#include "alerts/notifiers/slack/slack_encoder.hpp"
#include "alerts/notifiers/webhook/webhook_encoder.hpp"

namespace qw::alerts::notifiers {

namespace {

// Single-notification encoders get the first (and only) one.
template <typename F>
Encoder one_at_a_time(F encode) {
  return [encode](const std::vector<Notification>& ns, const EncodeContext& ctx) {
    return encode(ns.front(), ctx);
  };
}

std::string alertmanager_alerts_url(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/api/v2/alerts";
}

}  // namespace

std::unique_ptr<Sink> make_sink(const config::ReceiverConfig& receiver,
                                const std::string& external_url) {
  HttpSinkOptions options;
  options.receiver = receiver.name;
  options.url = receiver.url.value;
  options.timeout = receiver.timeout;
  options.tls_verify = receiver.tls_verify;
  options.ca_file = receiver.ca_file;
  options.external_url = external_url;
  switch (receiver.kind) {
    case config::ReceiverKind::log:
      return std::make_unique<LogSink>(receiver.name);
    case config::ReceiverKind::webhook:
      options.kind = "webhook";
      return std::make_unique<HttpSink>(options, one_at_a_time(encode_webhook));
    case config::ReceiverKind::slack:
      options.kind = "slack";
      return std::make_unique<HttpSink>(options, one_at_a_time(encode_slack));
    case config::ReceiverKind::pagerduty: {
      options.kind = "pagerduty";
      const std::string key = receiver.routing_key ? receiver.routing_key->value : std::string{};
      return std::make_unique<HttpSink>(
          options, one_at_a_time([key](const Notification& n, const EncodeContext& ctx) {
            return encode_pagerduty(n, ctx, key);
          }));
    }
    case config::ReceiverKind::alertmanager:
      options.kind = "alertmanager";
      options.url = alertmanager_alerts_url(options.url);
      options.resend_interval = receiver.resend_interval;
      return std::make_unique<HttpSink>(options, encode_alertmanager);
  }
  return std::make_unique<LogSink>(receiver.name);
}

}  // namespace qw::alerts::notifiers
