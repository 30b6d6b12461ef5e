#include "daemon/logging.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>

#include <spdlog/spdlog.h>

namespace qw::daemon {
namespace {

TEST(RedactDsn, MasksConninfoPassword) {
  EXPECT_EQ(redact_dsn("host=db password=secret user=app"), "host=db password=*** user=app");
  EXPECT_EQ(redact_dsn("password=secret"), "password=***");
  EXPECT_EQ(redact_dsn("host=db  password = secret\tdbname=x"),
            "host=db  password = ***\tdbname=x");
}

TEST(RedactDsn, MasksQuotedConninfoPasswordWithEscapes) {
  EXPECT_EQ(redact_dsn(R"(host=db password='se cr\'et x' user=app)"),
            "host=db password=*** user=app");
  EXPECT_EQ(redact_dsn(R"(password=a\ b user=app)"), "password=*** user=app");
  // Unterminated: everything after is the password as far as we can tell.
  EXPECT_EQ(redact_dsn("user=app password='oops user=x"), "user=app password=***");
}

TEST(RedactDsn, KeepsOtherValuesAndLookalikeKeys) {
  EXPECT_EQ(redact_dsn("host=db user=password dbname='my db'"),
            "host=db user=password dbname='my db'");
  EXPECT_EQ(redact_dsn("passfile=/etc/pgpass host=db"), "passfile=/etc/pgpass host=db");
  EXPECT_EQ(redact_dsn(""), "");
}

TEST(RedactDsn, MasksMalformedRemainder) {
  EXPECT_EQ(redact_dsn("host=db secret-without-key"), "host=db ***");
}

TEST(RedactDsn, MasksUriPassword) {
  EXPECT_EQ(redact_dsn("postgresql://user:secret@host/db"), "postgresql://user:***@host/db");
  EXPECT_EQ(redact_dsn("postgres://user:s%40cret@h1:5432,h2:5433/db?sslmode=require"),
            "postgres://user:***@h1:5432,h2:5433/db?sslmode=require");
  EXPECT_EQ(redact_dsn("postgresql://user:secret@host"), "postgresql://user:***@host");
}

TEST(RedactDsn, MasksUriPasswordParameter) {
  EXPECT_EQ(redact_dsn("postgresql://host/db?user=app&password=secret&sslmode=verify-full"),
            "postgresql://host/db?user=app&password=***&sslmode=verify-full");
  EXPECT_EQ(redact_dsn("postgresql:///db?password=secret"), "postgresql:///db?password=***");
}

TEST(RedactDsn, LeavesUrisWithoutPasswordAlone) {
  EXPECT_EQ(redact_dsn("postgresql://user@host:5432/db"), "postgresql://user@host:5432/db");
  EXPECT_EQ(redact_dsn("postgresql://host/db?user=a:b@c"), "postgresql://host/db?user=a:b@c");
}

TEST(SetupLogging, RejectsUnknownLevel) {
  EXPECT_THROW(setup_logging("verbose"), std::invalid_argument);
}

// Runs `body` with stderr redirected to a file and returns what it wrote. With `as_journal`,
// JOURNAL_STREAM names that file the way systemd names the journal's stream.
template <typename F>
std::string capture_stderr(bool as_journal, F body) {
  const auto path =
      std::filesystem::temp_directory_path() / ("qw_log_" + std::to_string(::getpid()) + ".txt");
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(fd, 2);
  ::close(fd);
  struct stat st {};
  ::fstat(2, &st);
  if (as_journal) {
    const auto stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
  }
  body();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::unsetenv("JOURNAL_STREAM");
  std::stringstream content;
  content << std::ifstream(path).rdbuf();
  std::filesystem::remove(path);
  return content.str();
}

void log_four_levels() {
  setup_logging("debug");
  spdlog::error("e {}", 1);
  spdlog::warn("w");
  spdlog::info("i");
  spdlog::debug("d");
  spdlog::trace("not at debug level");
  spdlog::default_logger()->flush();
}

TEST(SetupLogging, UnderJournaldPrefixesPriorityWithoutTimestamp) {
  const auto out = capture_stderr(/*as_journal=*/true, log_four_levels);
  EXPECT_EQ(out, "<3>e 1\n<4>w\n<6>i\n<7>d\n");
}

TEST(SetupLogging, InheritedJournalStreamOfAnotherStreamIsIgnored) {
  // Like a child of a systemd service whose stderr was redirected: the variable is stale.
  ::setenv("JOURNAL_STREAM", "8:12345", 1);
  const auto out = capture_stderr(/*as_journal=*/false, log_four_levels);
  EXPECT_EQ(out.find("<4>"), std::string::npos) << out;
  EXPECT_NE(out.find("warning w\n"), std::string::npos) << out;
}

TEST(SetupLogging, ForHumansHasTimestampsAndLevels) {
  const auto out = capture_stderr(/*as_journal=*/false, [] {
    setup_logging("info");
    spdlog::warn("disk is fine");
    spdlog::debug("hidden");
    spdlog::default_logger()->flush();
  });
  EXPECT_TRUE(std::regex_match(
      out,
      std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:?\d\d warning disk is fine\n)")))
      << out;
}

TEST(LogFormat, ParsesTheThreeNames) {
  EXPECT_EQ(parse_log_format("text"), LogFormat::text);
  EXPECT_EQ(parse_log_format("logfmt"), LogFormat::logfmt);
  EXPECT_EQ(parse_log_format("json"), LogFormat::json);
  EXPECT_FALSE(parse_log_format("JSON"));
  EXPECT_FALSE(parse_log_format(""));
}

TEST(LogFormat, LogfmtValuesAreBareOnlyWhenSafe) {
  EXPECT_EQ(logfmt_value("mail"), "mail");
  EXPECT_EQ(logfmt_value("0.25"), "0.25");
  EXPECT_EQ(logfmt_value(""), R"("")");
  EXPECT_EQ(logfmt_value("two words"), R"("two words")");
  EXPECT_EQ(logfmt_value("a=b"), R"("a=b")");  // would read as a second key
  EXPECT_EQ(logfmt_value(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(logfmt_value("line1\nline2\r\t"), R"("line1\nline2\r\t")");
  EXPECT_EQ(logfmt_value(std::string("nul\0bell\x07", 9)), R"("nul\u0000bell\u0007")");
  EXPECT_EQ(logfmt_value("caf\xC3\xA9"), "\"caf\xC3\xA9\"");  // UTF-8 kept, quoted
  EXPECT_EQ(logfmt_value("bad\xFF"), R"("bad\ufffd")");
}

TEST(LogFormat, JsonStringsEscapeEverythingJsonForbids) {
  EXPECT_EQ(json_string("plain"), R"("plain")");
  EXPECT_EQ(json_string(R"(q"b\)"), R"("q\"b\\")");
  EXPECT_EQ(json_string("a\nb\x01"), R"("a\nb\u0001")");
  EXPECT_EQ(json_string("\xE2\x82\xAC"), "\"\xE2\x82\xAC\"");  // the euro sign, as is
  // Not UTF-8: a lone continuation byte, an overlong '/', a truncated sequence, a surrogate.
  EXPECT_EQ(json_string("\x80"), R"("\ufffd")");
  EXPECT_EQ(json_string("\xC0\xAF"), R"("\ufffd\ufffd")");
  EXPECT_EQ(json_string("x\xE2\x82"), R"("x\ufffd\ufffd")");
  EXPECT_EQ(json_string("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");
}

TEST(LogFields, NestAndUnwind) {
  EXPECT_TRUE(current_log_fields().empty());
  {
    const LogFields outer({{"target", "db"}});
    {
      const LogFields inner({{"queue", "mail"}, {"source", "jobs"}});
      ASSERT_EQ(current_log_fields().size(), 3u);
      EXPECT_EQ(current_log_fields()[0].first, "target");
      EXPECT_EQ(current_log_fields()[2].second, "jobs");
    }
    EXPECT_EQ(current_log_fields().size(), 1u);
  }
  EXPECT_TRUE(current_log_fields().empty());
}

const char* const kTs = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";

TEST(SetupLogging, JsonIsOneObjectPerLineWithFields) {
  const auto out = capture_stderr(/*as_journal=*/false, [] {
    setup_logging("info", LogFormat::json);
    {
      const LogFields fields({{"queue", "ma\"il"}});
      spdlog::warn("server said: \"no\"\nDETAIL: {}", "x\xFF");
    }
    spdlog::info("plain");
    spdlog::debug("hidden");
    spdlog::default_logger()->flush();
  });
  EXPECT_TRUE(std::regex_match(
      out, std::regex(std::string(R"(\{"ts":")") + kTs +
                      R"x(","level":"warning","msg":"server said: \\"no\\"\\nDETAIL: x\\ufffd",)x"
                      R"x("queue":"ma\\"il"\}\n\{"ts":")x" +
                      kTs + R"x(","level":"info","msg":"plain"\}\n)x")))
      << out;
}

TEST(SetupLogging, LogfmtQuotesWhatNeedsIt) {
  const auto out = capture_stderr(/*as_journal=*/false, [] {
    setup_logging("info", LogFormat::logfmt);
    const LogFields fields({{"alertname", "no_throughput"}, {"queue", "a b"}});
    spdlog::error("it broke");
    spdlog::default_logger()->flush();
  });
  EXPECT_TRUE(std::regex_match(
      out, std::regex(std::string("ts=") + kTs +
                      R"( level=error msg="it broke" alertname=no_throughput queue="a b"\n)")))
      << out;
}

TEST(SetupLogging, TextAppendsFieldsAndJournaldKeepsPriorities) {
  const auto out = capture_stderr(/*as_journal=*/true, [] {
    setup_logging("info");
    const LogFields fields({{"queue", "mail"}});
    spdlog::warn("late");
    setup_logging("info", LogFormat::json);
    spdlog::warn("late");
    spdlog::default_logger()->flush();
  });
  EXPECT_TRUE(
      std::regex_match(out, std::regex(std::string(R"(<4>late queue=mail\n<4>\{"ts":")") + kTs +
                                       R"(","level":"warning","msg":"late","queue":"mail"\}\n)")))
      << out;
}

TEST(ApplyLogSettings, ChangesLevelAndFormatOfTheRunningLogger) {
  const auto out = capture_stderr(/*as_journal=*/false, [] {
    setup_logging("info");
    auto* before = spdlog::default_logger_raw();
    spdlog::debug("hidden at info");
    apply_log_settings("debug", LogFormat::logfmt);
    EXPECT_EQ(spdlog::default_logger_raw(), before);  // never replaced under other threads
    spdlog::debug("shown at debug");
    EXPECT_THROW(apply_log_settings("loud", LogFormat::text), std::invalid_argument);
    spdlog::debug("still debug, still logfmt");
    spdlog::default_logger()->flush();
  });
  EXPECT_EQ(out.find("hidden"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_match(
      out, std::regex(std::string("ts=") + kTs + R"( level=debug msg="shown at debug"\nts=)" + kTs +
                      R"( level=debug msg="still debug, still logfmt"\n)")))
      << out;
}

}  // namespace
}  // namespace qw::daemon
