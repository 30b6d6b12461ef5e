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
#include "daemon/evaluation_clock.hpp"
#include "daemon/http_server.hpp"
#include "daemon/logging.hpp"
#include "daemon/metrics_exporter.hpp"
#include "daemon/preflight_command.hpp"
#include "daemon/runtime.hpp"
#include "daemon/runtime_reaper.hpp"
#include "daemon/self_metrics.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/transition_log.hpp"
#include "daemon/web_security.hpp"
#include "probes/pg/conninfo.hpp"
#include "queuewatch/version.hpp"

namespace qw::daemon {

namespace {

// How long a stop waits for probe workers, retired ones included, before exiting without them.
// --help promises that the process is gone within two seconds of SIGTERM: this leaves room for
// the delivery workers' cancelled attempts, the last baselines save and the exit itself.
constexpr auto kStopGrace = std::chrono::milliseconds(1000);

// The web config (--web.config.file), or null with every error printed; an absent flag is a
// valid "no TLS, no authentication".
bool load_web_or_report(const std::optional<std::string>& path,
                        std::shared_ptr<const WebSecurity>& out) {
  if (!path) return true;
  auto loaded = load_web_security(*path);
  for (const auto& e : loaded.errors) std::cerr << e << "\n";
  if (!loaded.errors.empty()) {
    std::cerr << fmt::format("{}: {} error{}\n", *path, loaded.errors.size(),
                             loaded.errors.size() == 1 ? "" : "s");
    return false;
  }
  out = std::move(loaded.security);
  return true;
}

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
                 t.region.empty() ? "none" : t.region);
  spdlog::info("{} queue source(s), {} target(s)", config.queues.size(), config.targets.size());
}

// The log settings in force: the command line's when given (they win over every reload), else
// the file's.
std::string effective_log_level(const CliOptions& options, const config::Config& config) {
  return options.log_level.value_or(config.log_level);
}
LogFormat effective_log_format(const CliOptions& options, const config::Config& config) {
  // Both spellings were validated (the CLI parser, the config loader): text is never a fallback.
  return parse_log_format(options.log_format.value_or(config.log_format)).value_or(LogFormat::text);
}

// The daemon: one event loop thread (timers, HTTP, signals) plus the scheduler's workers.
class Daemon {
 public:
  Daemon(const CliOptions& options, config::Config config,
         std::shared_ptr<const WebSecurity> web = nullptr)
      : options_(options),
        path_(options.config_path),
        web_path_(options.web_config_file),
        web_(std::move(web)),
        config_(std::move(config)),
        exporter_(config_),
        self_(*exporter_.registry()),
        alerting_(config_, *exporter_.registry()),
        sink_({&exporter_, &transitions_, &alerting_}),
        observer_(exporter_),
        signals_(io_, SIGINT, SIGTERM, SIGHUP),
        watchdog_timer_(io_),
        evaluation_timer_(io_) {}

  int run() {
    runtime_ = std::make_unique<Runtime>(io_, config_, sink_, observer_);
    http_ =
        std::make_unique<HttpServer>(io_, config_.http,
                                     HttpHandlers{[this] { return exporter_.text(); },
                                                  [this] { return runtime_ && runtime_->ready(); }},
                                     web_);
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
    systemd::status(watching_status());
    io_.run();
    return exit_code_;
  }

 private:
  void wait_for_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
        reload_web();
        wait_for_signal();
      } else {
        shutdown(signo);
      }
    });
  }

  // Runs on the event loop and never waits for a probe: the new generation carries over what
  // did not change, and the old one is joined on the reaper's thread (a connect in flight may
  // hold it for connect_timeout). Scrapes, evaluation and the watchdog ping go on meanwhile.
  void reload() {
    systemd::reloading();
    spdlog::info("SIGHUP: reloading {}", path_);
    auto loaded = config::load_file(path_);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) spdlog::error("reload refused: {}", e.to_string());
      spdlog::error("reload refused: keeping the running configuration");
      self_.reload_failed();
      // `systemctl status` shows it until a reload succeeds.
      systemd::status("reload of " + path_ + " refused; running the previous configuration");
    } else {
      // First, so that the lines of this reload are already at the new level and format.
      apply_log_settings(effective_log_level(options_, loaded.config),
                         effective_log_format(options_, loaded.config));
      bool complete = true;
      warn_restart_only(loaded.config);
      const auto listen = config_.http.listen;
      const auto state_dir = config_.state_dir;
      config_ = std::move(loaded.config);
      config_.http.listen = listen;
      config_.state_dir = state_dir;
      http_->reconfigure(config_.http);
      auto next = std::make_unique<Runtime>(io_, config_, sink_, observer_, runtime_.get());
      runtime_->retire(*next);
      reaper_.retire(std::move(runtime_));
      runtime_ = std::move(next);
      exporter_.reconfigure(config_);
      try {
        alerting_.reconfigure(config_);
      } catch (const std::exception& e) {
        spdlog::error("reload: alerting kept its previous settings: {}", e.what());
        complete = false;  // the file is not what runs: say so in the reload metric
      }
      runtime_->start();
      log_targets(config_);
      spdlog::info("reload: {} probe(s) and {} connection pool(s) carried over unchanged",
                   runtime_->carried_probes(), runtime_->carried_pools());
      if (complete) {
        self_.reload_succeeded();
        systemd::status(watching_status());
      } else {
        self_.reload_failed();
      }
    }
    systemd::ready();
  }

  // The web config is reread on SIGHUP too (rotated certificates, changed users). One that does
  // not load is refused on its own, and the running one kept.
  // The flag wins over http.web_config_file, whose value may have changed with this reload.
  void reload_web() {
    const auto path = web_path_ ? web_path_ : config_.http.web_config_file;
    if (!path) {
      if (web_ && (web_->tls || web_->auth.enabled()))
        spdlog::warn("reload: http.web_config_file removed: plain HTTP without authentication");
      web_ = nullptr;
      http_->set_web_security(nullptr);
      return;
    }
    auto loaded = load_web_security(*path);
    if (!loaded.errors.empty()) {
      for (const auto& e : loaded.errors) spdlog::error("web config reload refused: {}", e);
      spdlog::error("web config reload refused: keeping the running TLS and users");
      self_.reload_failed();  // what runs is not what the files say
      return;
    }
    web_ = loaded.security;
    http_->set_web_security(std::move(loaded.security));
    spdlog::info("reload: web config {} applied", *path);
  }

  std::string watching_status() const {
    return "watching " + std::to_string(config_.queues.size()) + " queue source(s)";
  }

  // What only a restart applies: said once per reload, by key, rather than silently ignored.
  void warn_restart_only(const config::Config& next) const {
    if (next.http.listen != config_.http.listen)
      spdlog::warn("reload: http.listen changed; it takes effect only after a restart");
    if (next.state_dir != config_.state_dir)
      spdlog::warn("reload: state_dir changed; it takes effect only after a restart");
  }

  void shutdown(int signo) {
    const auto began = std::chrono::steady_clock::now();
    spdlog::info("{}: stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    systemd::stopping();
    http_->stop();
    watchdog_timer_.cancel();
    evaluation_timer_.cancel();
    signals_.cancel();
    // One deadline for the current generation and any retired one still joining.
    bool clean = runtime_->stop(kStopGrace);
    clean = reaper_.wait_until(began + kStopGrace) && clean;
    alerting_.stop();
    io_.stop();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - began);
    if (!clean) {
      // A worker is stuck in a blocking connect that cannot be interrupted; its socket dies
      // with the process. Exit now rather than break the two-second promise.
      spdlog::warn("stopped in {} ms, exiting with a probe still blocked", took.count());
      spdlog::shutdown();
      std::_Exit(kExitOk);
    }
    spdlog::info("stopped in {} ms", took.count());
  }

  // Rules run on the event loop: evaluating 10,000 queues takes milliseconds, and the outbox
  // makes notifications durable before this returns.
  void schedule_evaluation() {
    next_evaluation_ = std::chrono::steady_clock::now() + config_.rules.evaluation_interval;
    arm_evaluation();
  }

  void arm_evaluation() {
    evaluation_timer_.expires_at(next_evaluation_);
    evaluation_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const auto began = std::chrono::steady_clock::now();
      try {
        alerting_.evaluate(std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now()));
      } catch (const std::exception& e) {
        // A bug, not I/O: a full disk or a refused enqueue is handled (counted, rolled back and
        // retried) inside evaluate(). Either way the daemon keeps watching.
        spdlog::error("alert evaluation failed, will retry: {}", e.what());
      }
      const auto ended = std::chrono::steady_clock::now();
      self_.observe_evaluation(std::chrono::duration<double>(ended - began).count());
      // Baselines change by the hour; saving every 5 minutes bounds what a crash loses.
      constexpr auto kSaveEvery = std::chrono::minutes(5);
      if (++evaluations_ % std::max<long long>(1, kSaveEvery / config_.rules.evaluation_interval) ==
          0)
        alerting_.save_baselines();
      // The interval of the configuration now running: a reload changes it from the next tick.
      const auto next = next_evaluation(next_evaluation_, std::chrono::steady_clock::now(),
                                        config_.rules.evaluation_interval);
      if (next.missed > 0) {
        self_.count_missed_evaluations(next.missed);
        spdlog::warn("rule evaluation is {} interval(s) late; skipped to the next tick",
                     next.missed);
      }
      next_evaluation_ = next.at;
      arm_evaluation();
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

  CliOptions options_;
  std::string path_;
  std::optional<std::string> web_path_;  // --web.config.file; without it http.web_config_file
  std::shared_ptr<const WebSecurity> web_;
  config::Config config_;
  boost::asio::io_context io_;
  MetricsExporter exporter_;
  SelfMetrics self_;
  AlertingPipeline alerting_;
  TransitionLogger transitions_;
  FanoutSink sink_;
  ExporterObserver observer_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer evaluation_timer_;
  std::chrono::steady_clock::time_point next_evaluation_;
  int evaluations_ = 0;
  std::chrono::milliseconds ping_every_{0};
  std::unique_ptr<HttpServer> http_;
  RuntimeReaper reaper_;  // before runtime_: a retired generation outlives the current one
  std::unique_ptr<Runtime> runtime_;
  int exit_code_ = kExitOk;
};

}  // namespace

int check_config(const CliOptions& options) {
  auto config = load_or_report(options.config_path);
  if (!config) return kExitUsage;
  const auto web_path =
      options.web_config_file ? options.web_config_file : config->http.web_config_file;
  std::shared_ptr<const WebSecurity> web;
  if (!load_web_or_report(web_path, web)) return kExitUsage;
  // --explain and --connect print their own results (--connect's JSON must be alone on stdout).
  if (options.explain) explain_mappings(options, *config);
  if (options.connect) return preflight_sources(options, *config);
  if (options.explain) return kExitOk;
  std::cout << fmt::format("{}: OK ({} target(s), {} queue source(s))\n", options.config_path,
                           config->targets.size(), config->queues.size());
  if (web_path)
    std::cout << fmt::format("{}: OK ({}, {})\n", *web_path, web->tls ? "TLS" : "plain HTTP",
                             web->auth.enabled() ? "basic auth" : "no basic auth");
  return kExitOk;
}

int run_daemon(const CliOptions& options) {
  auto config = load_or_report(options.config_path);
  if (!config) return kExitUsage;
  std::shared_ptr<const WebSecurity> web;
  if (!load_web_or_report(
          options.web_config_file ? options.web_config_file : config->http.web_config_file, web))
    return kExitUsage;
  try {
    setup_logging(effective_log_level(options, *config), effective_log_format(options, *config));
  } catch (const std::exception& e) {
    std::cerr << "invalid log level: " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    Daemon daemon(options, std::move(*config), std::move(web));
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return kExitFailure;
  }
}

}  // namespace qw::daemon
