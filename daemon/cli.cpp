#include "daemon/cli.hpp"

namespace qw::daemon {

const char* usage_text() {
  return R"(queuewatch — watches PostgreSQL-backed job queues and the databases under them.

Usage:
  queuewatch run --config FILE [--log-level LEVEL] [--log-format text|logfmt|json]
                 [--web.config.file WEBFILE]
      Run the daemon: probe on schedule, serve /metrics, /-/healthy, /-/ready.
      --web.config.file: TLS (client certificates too) and bcrypt basic-auth users
        for every endpoint, in the format of Prometheus' exporter-toolkit; reread on
        SIGHUP. See docs/security.md.
      SIGHUP reloads the config (an invalid one is refused and the old one kept;
      probes whose settings did not change keep running, with their state;
      log_level and log_format apply unless given on the command line);
      --log-format: text (default; journald-friendly), or one logfmt or JSON
        object per line for log pipelines.
      SIGTERM or SIGINT stop it within two seconds, even with a connect blocked.
  queuewatch check-config FILE [--connect] [--explain] [--format table|json]
                          [--web.config.file WEBFILE]
      Validate FILE and print every error as file:line:column: key.path: message.
      With --web.config.file, WEBFILE too (its certificates and keys are loaded).
      Offline: nothing is connected to.
      --connect: also prove every queue source against its live database (preflight):
        the table or view exists and the role may read it, every mapped column exists
        with a usable type, every state value is a label of the column's enum (or a
        value its type holds), every *_when compiles, completions can be measured in
        the configured mode, and every statement the daemon runs is EXPLAINed once
        (read-only, no ANALYZE; a sequential scan of a big table is a warning with the
        CREATE INDEX that serves it). One line per finding, naming target/source and
        file:line:column. --format json for scripts. See docs/preflight.md.
      --explain: print each queue source's mapping with its preset expanded, as YAML
        (with the library versions the preset was checked against).
  queuewatch once --config FILE [--format table|json]
      Run every probe once and print what it saw; for runbooks and debugging.
  queuewatch backtest [--config FILE] --queue NAME --series FILE.csv [--source NAME] [--explain]
      Replay a CSV of timestamp,completions[,ready] through the rules with FILE's
      thresholds for queue NAME, and print every alert transition as CSV
      (time,alertname,state,value). Only FILE's `rules:` are read (no database
      details needed); without --config, the built-in defaults. See docs/rules.md.
      --explain: also print why each alert fired (its summary) on stderr.
  queuewatch config-reference
      Print every configuration key with its default, what it accepts and what it
      means, as Markdown: the tables docs/configuration.md and docs/alerting.md are
      tested against, generated from the code that reads the file.
  queuewatch --help | --version

Exit codes:
  0  success
  1  runtime failure (for `once`: some probe could not measure;
     for `check-config --connect`: warnings only)
  2  bad command line or invalid config (nothing was started;
     for `check-config --connect`: an error, e.g. a state value the enum lacks)
)";
}

namespace {
CliParse just(Command command) {
  CliOptions o;
  o.command = command;
  return {o, ""};
}
}  // namespace

CliParse parse_cli(const std::vector<std::string>& args) {
  CliOptions o;
  if (args.empty()) return {std::nullopt, "no command given"};
  const std::string& cmd = args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") return just(Command::help);
  if (cmd == "--version" || cmd == "-V" || cmd == "version") return just(Command::version);
  // No file and no flags: it describes what any file may say.
  if (cmd == "config-reference") {
    if (args.size() > 1) return {std::nullopt, "config-reference takes no arguments"};
    return just(Command::config_reference);
  }
  if (cmd == "run")
    o.command = Command::run;
  else if (cmd == "check-config")
    o.command = Command::check_config;
  else if (cmd == "once")
    o.command = Command::once;
  else if (cmd == "backtest")
    o.command = Command::backtest;
  else
    return {std::nullopt, "unknown command '" + cmd + "'"};

  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& flag) -> std::optional<std::string> {
      if (a.starts_with(flag + "=")) return a.substr(flag.size() + 1);
      if (a == flag && i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (a == "--help" || a == "-h") return just(Command::help);
    std::optional<std::string> q;  // a backtest flag's value
    if (auto v = value("--config")) {
      o.config_path = *v;
    } else if (auto lvl = value("--log-level")) {
      o.log_level = *lvl;
    } else if (auto web = value("--web.config.file")) {
      if (o.command != Command::run && o.command != Command::check_config)
        return {std::nullopt, "--web.config.file is only for `run` and `check-config`"};
      o.web_config_file = *web;
    } else if (auto lf = value("--log-format")) {
      if (o.command != Command::run) return {std::nullopt, "--log-format is only for `run`"};
      if (*lf != "text" && *lf != "logfmt" && *lf != "json")
        return {std::nullopt, "--log-format must be text, logfmt or json, not '" + *lf + "'"};
      o.log_format = *lf;
    } else if (auto f = value("--format")) {
      if (o.command != Command::once && o.command != Command::check_config)
        return {std::nullopt, "--format is only for `once` and `check-config`"};
      if (*f == "table")
        o.format = OutputFormat::table;
      else if (*f == "json")
        o.format = OutputFormat::json;
      else
        return {std::nullopt, "--format must be table or json, not '" + *f + "'"};
    } else if (o.command == Command::backtest && (q = value("--queue"))) {
      o.queue = *q;
    } else if (o.command == Command::backtest && (q = value("--series"))) {
      o.series_path = *q;
    } else if (o.command == Command::backtest && (q = value("--source"))) {
      o.source = *q;
    } else if (o.command == Command::check_config && a == "--connect") {
      o.connect = true;
    } else if ((o.command == Command::check_config || o.command == Command::backtest) &&
               a == "--explain") {
      o.explain = true;
    } else if (o.command == Command::check_config && !a.starts_with("-") && o.config_path.empty()) {
      o.config_path = a;
    } else {
      return {std::nullopt, "unexpected argument '" + a + "'"};
    }
  }
  if (o.command == Command::backtest && (o.queue.empty() || o.series_path.empty()))
    return {std::nullopt, "backtest needs --queue NAME and --series FILE.csv"};
  // backtest without a file replays with the built-in thresholds.
  if (o.config_path.empty() && o.command != Command::backtest)
    return {std::nullopt, o.command == Command::check_config ? "check-config needs a FILE"
                                                             : "missing --config FILE"};
  return {o, ""};
}

}  // namespace qw::daemon
