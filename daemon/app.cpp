#include "daemon/app.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/loader.hpp"
#include "daemon/alerting_pipeline.hpp"
#include "daemon/http_server.hpp"
#include "daemon/logging.hpp"
#include "daemon/metrics_exporter.hpp"
#include "daemon/runtime.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/transition_log.hpp"
#include "probes/pg/conninfo.hpp"
#include "queuewatch/version.hpp"

namespace qw::daemon {

namespace {

constexpr auto kStopGrace = std::chrono::milliseconds(1500);  // within systemd's patience and
                                                              // the 2 s we promise

std::optional<config::Config> load_or_report(const std::string& path) {
  auto loaded = config::load_file(path);
  if (loaded.ok()) return std::move(loaded.config);
  for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
  std::cerr << fmt::format("{}: {} error{}\n", path, loaded.errors.size(),
                           loaded.errors.size() == 1 ? "" : "s");
  return std::nullopt;
}

void log_targets(const config::Config& config) {
  for (const auto& t : config.targets)
    spdlog::info("target {} ({}), region {}", t.name, probes::pg::describe_endpoint(t.dsn),
                 t.region);
  spdlog::info("{} queue source(s), {} target(s)", config.queues.size(), config.targets.size());
}

// The daemon: one event loop thread (timers, HTTP, signals) plus the scheduler's workers.
class Daemon {
 public:
  Daemon(std::string path, config::Config config)
      : path_(std::move(path)),
        config_(std::move(config)),
        exporter_(config_),
        alerting_(config_, *exporter_.registry()),
        sink_({&exporter_, &transitions_, &alerting_}),
        observer_(exporter_),
        signals_(io_, SIGINT, SIGTERM, SIGHUP),
        watchdog_timer_(io_),
        evaluation_timer_(io_) {}

  int run() {
    runtime_ = std::make_unique<Runtime>(io_, config_, sink_, observer_);
    http_ = std::make_unique<HttpServer>(
        io_, config_.http,
        HttpHandlers{[this] { return exporter_.text(); },
                     [this] { return runtime_ && runtime_->ready(); }});
    http_->start();
    alerting_.start();
    runtime_->start();
    schedule_evaluation();
    spdlog::info("queuewatch {} listening on {} (port {})", kVersion, config_.http.listen,
                 http_->port());
    log_targets(config_);
    wait_for_signal();
    start_watchdog();
    systemd::ready();
    systemd::status("watching " + std::to_string(config_.queues.size()) + " queue source(s)");
    io_.run();
    return exit_code_;
  }

 private:
  void wait_for_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
        wait_for_signal();
      } else {
        shutdown(signo);
      }
    });
  }

  void reload() {
    systemd::reloading();
    spdlog::info("SIGHUP: reloading {}", path_);
    auto loaded = config::load_file(path_);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) spdlog::error("reload refused: {}", e.to_string());
      spdlog::error("reload refused: keeping the running configuration");
    } else {
      if (loaded.config.http.listen != config_.http.listen)
        spdlog::warn("http.listen changed; it takes effect only after a restart");
      const auto http = config_.http;
      config_ = std::move(loaded.config);
      config_.http = http;
      runtime_->stop(kStopGrace);
      exporter_.reconfigure(config_);
      try {
        alerting_.reconfigure(config_);
      } catch (const std::exception& e) {
        spdlog::error("reload: alerting kept its previous settings: {}", e.what());
      }
      runtime_ = std::make_unique<Runtime>(io_, config_, sink_, observer_);
      runtime_->start();
      log_targets(config_);
    }
    systemd::ready();
  }

  void shutdown(int signo) {
    spdlog::info("{}: stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    systemd::stopping();
    http_->stop();
    watchdog_timer_.cancel();
    evaluation_timer_.cancel();
    signals_.cancel();
    const bool clean = runtime_->stop(kStopGrace);
    alerting_.stop();
    io_.stop();
    if (!clean) {
      // A worker is stuck in a blocking connect that cannot be interrupted; its socket dies
      // with the process. Exit now rather than break the two-second promise.
      spdlog::warn("exiting with a probe still blocked");
      spdlog::shutdown();
      std::_Exit(kExitOk);
    }
  }

  // Rules run on the event loop: evaluating 10,000 queues takes milliseconds, and the outbox
  // makes notifications durable before this returns.
  void schedule_evaluation() {
    evaluation_timer_.expires_after(config_.rules.evaluation_interval);
    evaluation_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      try {
        alerting_.evaluate(std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now()));
      } catch (const std::exception& e) {
        // E.g. the outbox could not be written (disk full): nothing was accepted, and the alert
        // state was not saved, so the next evaluation tries the same notifications again.
        spdlog::error("alert evaluation failed, will retry: {}", e.what());
      }
      // Baselines change by the hour; saving every 5 minutes bounds what a crash loses.
      constexpr auto kSaveEvery = std::chrono::minutes(5);
      if (++evaluations_ % std::max<long long>(1, kSaveEvery / config_.rules.evaluation_interval) ==
          0)
        alerting_.save_baselines();
      schedule_evaluation();
    });
  }

  void start_watchdog() {
    const auto interval = systemd::watchdog_interval();
    if (!interval) return;
    ping_every_ = std::chrono::duration_cast<std::chrono::milliseconds>(*interval / 2);
    schedule_ping();
  }

  // Pinged from the event loop: a wedged loop stops the pings and systemd restarts us.
  void schedule_ping() {
    watchdog_timer_.expires_after(ping_every_);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      systemd::watchdog_ping();
      schedule_ping();
    });
  }

  std::string path_;
  config::Config config_;
  boost::asio::io_context io_;
  MetricsExporter exporter_;
  AlertingPipeline alerting_;
  TransitionLogger transitions_;
  FanoutSink sink_;
  ExporterObserver observer_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer evaluation_timer_;
  int evaluations_ = 0;
  std::chrono::milliseconds ping_every_{0};
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<Runtime> runtime_;
  int exit_code_ = kExitOk;
};

}  // namespace

int check_config(const CliOptions& options) {
  auto config = load_or_report(options.config_path);
  if (!config) return kExitUsage;
  std::cout << fmt::format("{}: OK ({} target(s), {} queue source(s))\n", options.config_path,
                           config->targets.size(), config->queues.size());
  return kExitOk;
}

int run_daemon(const CliOptions& options) {
  auto config = load_or_report(options.config_path);
  if (!config) return kExitUsage;
  try {
    setup_logging(options.log_level.value_or(config->log_level));
  } catch (const std::exception& e) {
    std::cerr << "invalid log level: " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    Daemon daemon(options.config_path, std::move(*config));
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return kExitFailure;
  }
}

}  // namespace qw::daemon
