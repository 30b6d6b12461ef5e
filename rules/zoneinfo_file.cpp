#include "rules/zoneinfo_file.hpp"

#include <fstream>
#include <sstream>

namespace qw::rules {

TzifParse load_zoneinfo(const std::string& name, const std::string& dir) {
  if (name == "UTC") return {Timezone(), ""};
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
    return {std::nullopt, "\"" + name + "\" is not an IANA time zone name"};
  }
  const std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, "time zone \"" + name + "\": cannot read " + path};
  std::ostringstream bytes;
  bytes << in.rdbuf();
  TzifParse parsed = parse_tzif(bytes.str(), name);
  if (!parsed.zone) parsed.error = "time zone \"" + name + "\" (" + path + "): " + parsed.error;
  return parsed;
}

}  // namespace qw::rules
