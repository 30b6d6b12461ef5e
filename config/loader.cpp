#include "config/loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
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

// Where documents start, from yaml-cpp's parser events; nothing else is kept.
struct DocumentStarts : YAML::EventHandler {
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The first two documents' starts, never more. Not YAML::LoadAll: yaml-cpp 0.7 never finishes a
// stream in which a document starts with ',' (its parser hands back an empty document at the
// same position forever), so LoadAll looped and allocated until killed: `check-config` hung
// and a SIGHUP froze the daemon. Found by tests/fuzz/config_loader.cpp.
DocumentStarts first_two_documents(const std::string& yaml) {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentStarts starts;
  while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
  }
  return starts;
}

LoadResult load(const std::string& yaml, const std::string& file_name, const std::string& base_dir,
                EnvLookup env, Sections sections) {
  LoadResult result;
  detail::Context ctx(file_name, base_dir, env);
  YAML::Node root;
  try {
    const DocumentStarts starts = first_two_documents(yaml);
    if (starts.marks.size() == 2 && starts.marks[1].pos == starts.marks[0].pos) {
      ctx.error("", detail::mark_of(starts.marks[1]),
                "YAML syntax error: a ',' outside a [ ] or { } list");
      result.errors = ctx.take_errors();
      return result;
    }
    if (starts.marks.size() == 2) {
      // A second "---" document would otherwise be ignored without a word.
      ctx.error("", detail::mark_of(starts.marks[1]),
                "the file holds several YAML documents; put the whole configuration in one");
    }
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    ctx.error("", detail::mark_of(e.mark), fmt::format("YAML syntax error: {}", e.msg));
    result.errors = ctx.take_errors();
    return result;
  }
  const SourceMark root_mark = root.IsNull() ? SourceMark{1, 1} : detail::mark_of(root.Mark());
  detail::decode_root(ctx, detail::Value{root, "", root_mark}, result.config, sections);

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

LoadResult load_file(const std::string& path, EnvLookup env, Sections sections) {
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
  return load(text.str(), path, base_dir, env, sections);
}

LoadResult load_string(const std::string& yaml, const std::string& file_name, EnvLookup env,
                       Sections sections) {
  // Relative paths in a string resolve against the working directory, as the caller's would.
  return load(yaml, file_name, "", env, sections);
}

}  // namespace qw::config
