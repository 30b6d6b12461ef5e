#include "daemon/config_locator.hpp"

namespace qw::daemon {

namespace {

config::SourceMark mark_of(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.line < 0) return {};
  return {m.line + 1, m.column + 1};  // yaml-cpp counts from 0, editors from 1
}

}  // namespace

ConfigLocator::ConfigLocator(const std::string& path) {
  try {
    root_ = YAML::LoadFile(path);
  } catch (const std::exception&) {
    root_ = YAML::Node();  // loaded once already; if it went away meanwhile, locate nothing
  }
}

YAML::Node ConfigLocator::source_node(std::size_t source) const {
  if (!root_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node queues = root_["queues"];
  if (!queues.IsSequence() || source >= queues.size()) return YAML::Node(YAML::NodeType::Undefined);
  return queues[source];
}

std::optional<std::string> ConfigLocator::preset(std::size_t source) const {
  const YAML::Node node = source_node(source);
  if (!node.IsMap() || !node["preset"] || !node["preset"].IsScalar()) return std::nullopt;
  return node["preset"].Scalar();
}

Location ConfigLocator::find(std::size_t source, const std::string& key, const std::string& value,
                             config::SourceMark fallback) const {
  const YAML::Node node = source_node(source);
  if (!node.IsMap()) return {fallback, std::nullopt};
  if (key.empty()) return {mark_of(node), std::nullopt};
  // Walk the dotted key; YAML::Node assignment rebinds, so copy through fresh handles.
  std::vector<YAML::Node> path{node};
  std::size_t start = 0;
  bool found = true;
  while (start <= key.size()) {
    const auto dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? dot : dot - start);
    const YAML::Node& here = path.back();
    if (!here.IsMap() || !here[part]) {
      found = false;
      break;
    }
    path.push_back(here[part]);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!found) {
    if (const auto name = preset(source)) return {mark_of(node["preset"]), name};
    return {mark_of(node), std::nullopt};
  }
  const YAML::Node& leaf = path.back();
  if (!value.empty() && leaf.IsSequence())
    for (const auto& item : leaf)
      if (item.IsScalar() && item.Scalar() == value) return {mark_of(item), std::nullopt};
  return {mark_of(leaf), std::nullopt};
}

}  // namespace qw::daemon
