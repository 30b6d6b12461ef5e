// A probe kind is its folder plus one line in probes/registry.cpp. These fail when that line is
// missing (a folder with a Probe nobody registered: it would never run, its metrics never
// appear) or when a Sample type has no exporter (its samples would vanish from /metrics).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <variant>

#include <prometheus/registry.h>

#include "probes/registry.hpp"

namespace qw::probes {
namespace {

// Folders under probes/ that are not probe kinds: shared code of several kinds.
const std::set<std::string> kSharedFolders = {"pg"};

TEST(ProbeKinds, EverySampleTypeHasExactlyOneExportingKind) {
  std::map<std::size_t, std::vector<std::string>> exporters;
  for (const ProbeKind& kind : probe_kinds()) {
    ASSERT_NE(kind.metrics, nullptr) << kind.name << " has no metrics factory";
    prometheus::Registry registry;  // each kind alone: a part must not need another's families
    const auto part = kind.metrics(registry);
    for (const std::size_t index : part->exported_samples())
      exporters[index].push_back(std::string(kind.name));
  }
  for (std::size_t index = 0; index < std::variant_size_v<Sample>; ++index) {
    const auto& kinds = exporters[index];
    EXPECT_EQ(kinds.size(), 1u) << "Sample alternative " << index
                                << " (probes/samples.hpp) must be exported by exactly one probe "
                                   "kind's metrics (SampleMetrics<...> in probes/<kind>/); now by "
                                << kinds.size();
  }
}

// Whether a folder's sources define a Probe: a kind's parsers or SQL may land before its probe,
// but a probe class that no registry line names would never run.
bool defines_a_probe(const std::filesystem::path& folder) {
  static const std::regex probe_class(R"(:\s*public\s+(qw::)?(probes::)?Probe\b)");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".hpp" && ext != ".cpp")) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    if (std::regex_search(text.str(), probe_class)) return true;
  }
  return false;
}

TEST(ProbeKinds, EveryProbeFolderIsRegisteredAndEveryKindHasItsFolder) {
  const std::filesystem::path probes_dir = std::filesystem::path(QW_SOURCE_DIR) / "probes";
  std::set<std::string> registered;
  for (const ProbeKind& kind : probe_kinds()) {
    EXPECT_TRUE(registered.insert(std::string(kind.name)).second) << kind.name << " twice";
    EXPECT_NE(kind.make, nullptr) << kind.name;
    EXPECT_TRUE(std::filesystem::is_regular_file(probes_dir / kind.name / "README.md"))
        << "probe kind " << kind.name << " needs probes/" << kind.name << "/README.md";
  }
  bool saw_a_probe = false;
  for (const auto& entry : std::filesystem::directory_iterator(probes_dir)) {
    if (!entry.is_directory()) continue;
    const std::string folder = entry.path().filename().string();
    if (kSharedFolders.contains(folder) || !defines_a_probe(entry.path())) continue;
    saw_a_probe = true;
    EXPECT_TRUE(registered.contains(folder))
        << "probes/" << folder
        << "/ defines a Probe but is not a registered probe kind: add its line to "
           "probes/registry.cpp (the kind is named as its folder)";
  }
  EXPECT_TRUE(saw_a_probe) << "no folder under probes/ defines a Probe: the pattern is stale";
}

TEST(ProbeKinds, KindsDeclareDisjointMetricFamilies) {
  // Every part on one registry, as the exporter builds them: a family name declared by two kinds
  // with different types throws here, before a daemon would.
  prometheus::Registry registry;
  std::vector<std::unique_ptr<KindMetrics>> parts;
  for (const ProbeKind& kind : probe_kinds())
    EXPECT_NO_THROW(parts.push_back(kind.metrics(registry))) << kind.name;
}

}  // namespace
}  // namespace qw::probes
