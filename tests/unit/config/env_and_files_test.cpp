// ${VAR} expansion and password files: the two ways a config reaches outside itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/env_expand.hpp"
#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using ::testing::HasSubstr;

TEST_F(ConfigTest, EnvVariablesExpandInEveryStringValue) {
  fake_vars()["PGHOST"] = "db.internal";
  fake_vars()["HTTP_PORT"] = "9300";
  const LoadResult r = load(
      "http:\n"
      "  listen: \"127.0.0.1:${HTTP_PORT}\"\n"
      "targets:\n"
      "  - name: primary\n"
      "    dsn: \"postgresql://qw@${PGHOST}:${PGPORT:-5432}/app\"\n"
      "    region: \"${REGION:-local}\"\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.http.listen, "127.0.0.1:9300");
  EXPECT_EQ(r.config.targets[0].dsn, "postgresql://qw@db.internal:5432/app");
  EXPECT_EQ(r.config.targets[0].region, "local");
}

TEST_F(ConfigTest, SetVariableWinsOverItsDefault) {
  fake_vars()["PGPORT"] = "6432";
  const LoadResult r = load(
      "targets:\n"
      "  - name: primary\n"
      "    dsn: \"host=x port=${PGPORT:-5432}\"\n"
      "    region: eu\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.targets[0].dsn, "host=x port=6432");
}

TEST_F(ConfigTest, UnsetVariableWithoutDefaultIsAnErrorNamingIt) {
  const LoadResult r = load(
      "targets:\n"
      "  - name: primary\n"
      "    dsn: \"host=${PGHOST} dbname=app\"\n"  // line 3
      "    region: eu\n");
  const ConfigError e = error_at(r, "targets[0].dsn");
  EXPECT_EQ(e.line, 3);
  EXPECT_THAT(e.message, HasSubstr("environment variable PGHOST is not set"));
}

TEST_F(ConfigTest, EnvExpansionAlsoFeedsNumbersAndDurations) {
  fake_vars()["CAP"] = "500";
  const LoadResult r = load(std::string(kOneTarget) +
                            "http:\n"
                            "  request_timeout: ${TIMEOUT:-7s}\n"
                            "  max_connections: ${CAP}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.http.request_timeout, Duration{7000});
  EXPECT_EQ(r.config.http.max_connections, 500u);
}

TEST(ExpandEnv, LiteralDollarsAndEscapes) {
  auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(expand_env("pa$$word $1 $HOME", none).value, "pa$$word $1 $HOME");
  EXPECT_EQ(expand_env("$${NOT_A_VAR}", none).value, "${NOT_A_VAR}");
  EXPECT_EQ(expand_env("${A:-}", none).value, "");
  EXPECT_EQ(expand_env("${A:-x:-y}", none).value, "x:-y");
  EXPECT_FALSE(expand_env("${UNCLOSED", none).syntax_error.empty());
  EXPECT_FALSE(expand_env("${1BAD}", none).syntax_error.empty());
  EXPECT_EQ(expand_env("${A}${B}", none).unset, (std::vector<std::string>{"A", "B"}));
}

// A scratch directory removed at the end of the test.
class PasswordFileTest : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("qw_config_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    ConfigTest::TearDown();
  }
  std::string write(const std::string& name, const std::string& content) {
    const std::filesystem::path p = dir_ / name;
    std::ofstream(p) << content;
    return p.string();
  }
  static std::string with_password_file(const std::string& path, const std::string& dsn) {
    return "targets:\n"
           "  - name: primary\n"
           "    dsn: \"" +
           dsn +
           "\"\n"
           "    password_file: \"" +
           path +
           "\"\n"  // line 4
           "    region: eu\n";
  }
  std::filesystem::path dir_;
};

TEST_F(PasswordFileTest, ReadableFileIsAccepted) {
  const std::string path = write("primary.pass", "s3cret\n");
  const LoadResult r = load(with_password_file(path, "host=x"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.targets[0].password_file, path);
  EXPECT_EQ(r.config.targets[0].dsn, "host=x");  // the password is not copied into the DSN
}

TEST_F(PasswordFileTest, MissingFileIsAnError) {
  const std::string path = (dir_ / "nope.pass").string();
  const LoadResult r = load(with_password_file(path, "host=x"));
  const ConfigError e = error_at(r, "targets[0].password_file");
  EXPECT_EQ(e.line, 4);
  EXPECT_THAT(e.message, HasSubstr("cannot read password file"));
  EXPECT_THAT(e.message, HasSubstr("No such file"));
}

TEST_F(PasswordFileTest, EmptyFileIsAnError) {
  const std::string path = write("empty.pass", "\n");
  const LoadResult r = load(with_password_file(path, "host=x"));
  EXPECT_THAT(error_at(r, "targets[0].password_file").message, HasSubstr("is empty"));
}

TEST_F(PasswordFileTest, PasswordInBothPlacesIsAnError) {
  const std::string path = write("primary.pass", "s3cret\n");
  const LoadResult r = load(with_password_file(path, "host=x password=other"));
  const ConfigError e = error_at(r, "targets[0].password_file");
  EXPECT_EQ(e.line, 4);
  EXPECT_THAT(e.message, HasSubstr("already holds a password"));
}

TEST_F(PasswordFileTest, RelativePathResolvesAgainstTheConfigFile) {
  write("primary.pass", "s3cret\n");
  const std::string config = write("queuewatch.yaml", with_password_file("primary.pass", "host=x"));
  const LoadResult r = load_file(config, &fake_env);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.targets[0].password_file, (dir_ / "primary.pass").string());
}

TEST_F(PasswordFileTest, UnreadableConfigFileIsOneError) {
  const LoadResult r = load_file((dir_ / "missing.yaml").string(), &fake_env);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].to_string(), HasSubstr("missing.yaml: cannot read file"));
}

}  // namespace
}  // namespace qw::config::test
