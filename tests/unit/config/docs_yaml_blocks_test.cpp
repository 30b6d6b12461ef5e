// Every ```yaml block of every *.md in the repository loads: operators copy them, and a block
// that no longer loads is a bug in the docs. How a block is loaded (also in DEVELOPERS.md):
//
// - A mapping of top-level keys is a whole config. Without `targets:`, the one-target preamble
//   of config_test_support.hpp (target `primary`) is put before it.
// - A list is entries of `queues` (the job-system mappings of docs/configuration.md).
// - A block whose first line is `# fragment of: queues[]` holds keys of one queue entry: it is
//   loaded as a queue, with `name`, `target`, `table` and `completed_rows: deleted` added where
//   the block does not give them.
// - A block whose first line is `# invalid: WHY` must fail to load (an example of an error).
// - Files a block names (`password_file:`, `url_file:`, `ca_file:`, ...) are replaced by a
//   temporary file, and variables it reads (`url_env:`, `routing_key_env:`) are given a
//   placeholder value: the test checks the config, not this machine's /run/credentials.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

namespace fs = std::filesystem;

struct Block {
  std::string file;  // relative to the source tree
  int line = 0;      // of the opening fence
  std::string text;
};

std::vector<std::string> markdown_files() {
  std::vector<std::string> files;
  const fs::path root(QW_SOURCE_DIR);
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string name = it->path().filename().string();
    // Build trees, .git, npm caches: not the repository's docs.
    if (it->is_directory() &&
        (name.starts_with(".") || name.starts_with("build") || name == "node_modules")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".md") {
      files.push_back(fs::relative(it->path(), root).string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Block> yaml_blocks(const std::string& file) {
  std::ifstream in(std::string(QW_SOURCE_DIR) + "/" + file);
  std::vector<Block> blocks;
  std::string line;
  std::optional<Block> open;
  std::size_t indent = 0;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::size_t start = line.find_first_not_of(' ');
    const std::string_view trimmed =
        start == std::string::npos ? std::string_view() : std::string_view(line).substr(start);
    if (!open && trimmed == "```yaml") {
      open = Block{file, n, ""};
      indent = start;
    } else if (open && trimmed == "```") {
      blocks.push_back(std::move(*open));
      open.reset();
    } else if (open) {
      open->text += (line.size() >= indent ? line.substr(indent) : std::string()) + "\n";
    }
  }
  EXPECT_FALSE(open) << file << ":" << (open ? open->line : 0) << ": unclosed ```yaml block";
  return blocks;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

bool has_top_level_key(const std::string& text, const std::string& key) {
  return std::regex_search(text, std::regex("(^|\n)" + key + ":"));
}

// Temporary files for the `*_file:` keys of one block, removed with it.
class TempFiles {
 public:
  ~TempFiles() {
    for (const fs::path& p : paths_) fs::remove(p);
  }
  std::string make() {
    const fs::path p =
        fs::temp_directory_path() / fmt::format("qw-docs-{}-{}", ::getpid(), paths_.size());
    std::ofstream(p) << "placeholder-secret\n";
    paths_.push_back(p);
    return p.string();
  }

 private:
  std::vector<fs::path> paths_;
};

std::string with_placeholders(const std::string& text, TempFiles& files) {
  std::string out;
  std::istringstream lines(text);
  const std::regex file_key(R"(^(\s*(?:- )?\w+_file:\s*)([^\s#]+)(.*)$)");
  const std::regex env_key(R"(^\s*(?:- )?(\w+)_env:\s*([A-Za-z_][A-Za-z0-9_]*))");
  std::smatch m;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, m, file_key)) {
      line = m[1].str() + files.make() + m[3].str();
    } else if (std::regex_search(line, m, env_key)) {
      // A URL must be one; any other secret is just non-empty.
      fake_vars()[m[2].str()] =
          m[1].str() == "url" ? "https://placeholder.invalid/" + m[2].str() : "placeholder";
    }
    out += line + "\n";
  }
  return out;
}

std::string indented(const std::string& text, const std::string& by) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out += by + line + "\n";
  return out;
}

// The whole config a block stands for, by the rules at the top of this file.
std::string as_config(const std::string& text) {
  if (first_line(text) == "# fragment of: queues[]") {
    std::string entry = "- name: docs_example\n";
    if (!has_top_level_key(text, "target")) entry += "  target: primary\n";
    if (!has_top_level_key(text, "table")) entry += "  table: jobs\n";
    if (!has_top_level_key(text, "completed_rows")) entry += "  completed_rows: deleted\n";
    return std::string(kOneTarget) + "queues:\n" + indented(entry + indented(text, "  "), "  ");
  }
  if (text.find_first_not_of(" \n") != std::string::npos &&
      text[text.find_first_not_of(" \n")] == '-') {
    return std::string(kOneTarget) + "queues:\n" + indented(text, "  ");
  }
  if (!has_top_level_key(text, "targets")) return std::string(kOneTarget) + text;
  return text;
}

// "" when the block does what its marker says (loads, or fails when marked invalid), else why.
std::string check_block(const std::string& text) {
  fake_vars().clear();
  TempFiles files;
  const std::string yaml = as_config(with_placeholders(text, files));
  const LoadResult r = load_string(yaml, "test.yaml", &fake_env);
  if (first_line(text).starts_with("# invalid:")) {
    return r.ok() ? "marked invalid, but loads:\n" + text : "";
  }
  return r.ok() ? "" : yaml + "\n" + all_errors(r);
}

TEST_F(ConfigTest, EveryYamlBlockInEveryMarkdownFileLoads) {
  std::size_t count = 0;
  for (const std::string& file : markdown_files()) {
    for (const Block& block : yaml_blocks(file)) {
      ++count;
      EXPECT_EQ(check_block(block.text), "") << block.file << ":" << block.line;
    }
  }
  // README.md, docs/*.md, probes/*/README.md, deploy/README.md: a walk that finds far fewer
  // has stopped looking, not run out of examples.
  EXPECT_GE(count, 23u);
}

TEST_F(ConfigTest, AFragmentIsWrappedAndAnInvalidBlockMustFail) {
  TempFiles files;
  const LoadResult state = load(
      as_config("# fragment of: queues[]\nstate:\n  column: s\n  ready: [a]\n  running: [b]\n"));
  EXPECT_TRUE(state.ok()) << all_errors(state);
  ASSERT_EQ(state.config.queues.size(), 1u);
  EXPECT_EQ(state.config.queues[0].state.ready, std::vector<std::string>{"a"});

  const LoadResult whole = load(as_config("http: {listen: '127.0.0.1:1'}\n"));
  EXPECT_TRUE(whole.ok()) << all_errors(whole);
  EXPECT_EQ(whole.config.targets.size(), 1u);

  const std::string secret = with_placeholders("    password_file: /nonexistent/x\n", files);
  EXPECT_EQ(secret.find("/nonexistent"), std::string::npos) << secret;

  // An example of an error says so, and must stay one.
  EXPECT_EQ(check_block("# invalid: not host:port\nhttp: {listen: nowhere}\n"), "");
  EXPECT_NE(check_block("# invalid: but it is not\nhttp: {listen: '127.0.0.1:1'}\n"), "");
  EXPECT_NE(check_block("http: {listen: nowhere}\n"), "");
}

}  // namespace
}  // namespace qw::config::test
