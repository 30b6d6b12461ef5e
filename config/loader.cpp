#include "config/loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/decoders.hpp"

namespace qw::config {
namespace {

LoadResult load(const std::string& yaml, const std::string& file_name, const std::string& base_dir,
                EnvLookup env) {
  LoadResult result;
  detail::Context ctx(file_name, base_dir, env);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml);
  } catch (const YAML::ParserException& e) {
    ctx.error("", detail::mark_of(e.mark), fmt::format("YAML syntax error: {}", e.msg));
    result.errors = ctx.take_errors();
    return result;
  }
  if (documents.size() > 1) {
    // A second "---" document would otherwise be ignored without a word.
    ctx.error("", detail::mark_of(documents[1].Mark()),
              "the file holds several YAML documents; put the whole configuration in one");
  }
  const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
  const SourceMark root_mark = root.IsNull() ? SourceMark{1, 1} : detail::mark_of(root.Mark());
  detail::decode_root(ctx, detail::Value{root, "", root_mark}, result.config);

  result.errors = ctx.take_errors();
  // File order, whichever section found the problem: the operator fixes top to bottom.
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  return result;
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += fmt::format(":{}:{}", line, column);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

std::optional<std::string> real_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

LoadResult load_file(const std::string& path, EnvLookup env) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    LoadResult result;
    result.errors.push_back(
        ConfigError{path, "", 0, 0, fmt::format("cannot read file: {}", std::strerror(errno))});
    return result;
  }
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  return load(text.str(), path, base_dir, env);
}

LoadResult load_string(const std::string& yaml, const std::string& file_name, EnvLookup env) {
  // Relative paths in a string resolve against the working directory, as the caller's would.
  return load(yaml, file_name, "", env);
}

}  // namespace qw::config
