// A minimal process around the outbox and delivery, for tests/scripts/outbox_kill9.sh:
//
//   qw_outbox_driver STATE_DIR URL enqueue N   enqueue N firing notifications for the webhook
//                                              receiver "hook" at URL, print "enqueued N", then
//                                              keep delivering (retrying) until killed
//   qw_outbox_driver STATE_DIR URL drain       deliver what the outbox holds; exit 0 once empty,
//                                              1 if still not empty after 120 s
//
// It runs the real Dispatcher (outbox, worker, webhook sink), so kill -9 tests the real thing.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <prometheus/registry.h>

#include "alerts/delivery_dispatcher.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s STATE_DIR URL enqueue N | drain\n", argv[0]);
    return 2;
  }
  const std::string state_dir = argv[1];
  qw::config::AlertingConfig config;
  qw::config::ReceiverConfig hook;
  hook.name = "hook";
  hook.kind = qw::config::ReceiverKind::webhook;
  hook.url.value = argv[2];
  hook.timeout = 2000ms;
  hook.max_backoff = 200ms;
  config.receivers.push_back(hook);
  config.default_receiver = "hook";

  prometheus::Registry registry;
  qw::alerts::DispatcherOptions options;
  options.base_backoff = 50ms;
  qw::alerts::Dispatcher dispatcher(config, state_dir, registry, options);
  const std::string command = argv[3];
  if (command == "enqueue" && argc == 5) {
    const int n = std::atoi(argv[4]);
    const auto now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    for (int i = 0; i < n; ++i) {
      qw::alerts::Notification notification;
      notification.id = "kill9-" + std::to_string(i);
      notification.receiver = "hook";
      notification.fingerprint = "fp" + std::to_string(i);
      notification.labels = {{"alertname", "kill9"}, {"seq", std::to_string(i)}};
      notification.starts_at = now;
      notification.created_at = now;
      dispatcher.enqueue({notification});  // one fsync'd batch each, as the alert core would
    }
    std::printf("enqueued %d\n", n);
    std::fflush(stdout);
    dispatcher.start();
    while (true) std::this_thread::sleep_for(1s);
  }
  if (command == "drain") {
    dispatcher.start();
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (dispatcher.outbox().depth("hook") == 0) {
        std::printf("drained\n");
        return 0;
      }
      std::this_thread::sleep_for(50ms);
    }
    std::fprintf(stderr, "still %zu pending\n", dispatcher.outbox().depth("hook"));
    return 1;
  }
  std::fprintf(stderr, "unknown command %s\n", command.c_str());
  return 2;
}
