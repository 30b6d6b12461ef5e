#include "alerts/notifiers/http_sink.hpp"

#include <boost/json/serialize.hpp>

#include "alerts/delivery_policy.hpp"

namespace qw::alerts::notifiers {

HttpSink::HttpSink(HttpSinkOptions options, Encoder encode)
    : options_(std::move(options)), encode_(std::move(encode)) {}

SendResult HttpSink::send(const Notification& n) {
  return post({n});
}

SendResult HttpSink::resend(const std::vector<Notification>& firing) {
  if (firing.empty()) return {};
  return post(firing);
}

std::string HttpSink::describe() const {
  return options_.kind + " " + redact_url(options_.url);
}

SendResult HttpSink::post(const std::vector<Notification>& notifications) {
  EncodeContext ctx;
  ctx.receiver = options_.receiver;
  ctx.external_url = options_.external_url;
  ctx.now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  ctx.resend_interval = options_.resend_interval;

  HttpRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = boost::json::serialize(encode_(notifications, ctx));
  request.timeout = options_.timeout;
  request.tls_verify = options_.tls_verify;
  request.ca_file = options_.ca_file;
  return classify_response(client_.send(request), std::chrono::system_clock::now());
}

}  // namespace qw::alerts::notifiers
