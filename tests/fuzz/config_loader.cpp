// Fuzzes the configuration loader: any YAML text gives a LoadResult (valid, or errors that name
// a line), never a crash, a hang or a sanitizer report. The text is what an operator, a
// configuration generator or a damaged file could hand `check-config` and a SIGHUP.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "config/loader.hpp"

namespace {

// A fixed environment: ${VAR} expansion is exercised, and no run depends on the real one.
std::optional<std::string> fuzz_env(const std::string& name) {
  if (name == "QW_FUZZ_DSN") return std::string("host=127.0.0.1 port=5432 dbname=jobs");
  if (name == "QW_FUZZ_EMPTY") return std::string();
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  const qw::config::LoadResult result = qw::config::load_string(yaml, "fuzz.yaml", &fuzz_env);
  // Every error must be printable: the operator sees it through to_string().
  for (const qw::config::ConfigError& error : result.errors) {
    if (error.to_string().empty()) __builtin_trap();
  }
  return 0;
}
