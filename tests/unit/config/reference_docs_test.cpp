// docs/configuration.md carries the reference generated from the schema rows (config/schema.hpp)
// between `<!-- generated: SECTION -->` and `<!-- end generated: SECTION -->`: a default or key
// changed in code and not in the docs fails here, with the text to paste. Run this test with
// QW_WRITE_REFERENCE=1 to rewrite the blocks in the source tree instead.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/reference.hpp"

namespace qw::config::test {
namespace {

const std::string kDoc = std::string(QW_SOURCE_DIR) + "/docs/configuration.md";

std::string read_doc() {
  std::stringstream text;
  text << std::ifstream(kDoc).rdbuf();
  return text.str();
}

std::string begin_marker(const std::string& name) {
  return "<!-- generated: " + name + " -->\n";
}
std::string end_marker(const std::string& name) {
  return "<!-- end generated: " + name + " -->\n";
}

TEST(ReferenceDocs, TheDocsCarryTheGeneratedReferenceOfEverySection) {
  std::string doc = read_doc();
  ASSERT_FALSE(doc.empty()) << kDoc;
  const bool write = std::getenv("QW_WRITE_REFERENCE") != nullptr;
  for (const ReferenceSection& section : config_reference()) {
    SCOPED_TRACE(section.name);
    const std::size_t begin = doc.find(begin_marker(section.name));
    ASSERT_NE(begin, std::string::npos) << "no " << begin_marker(section.name) << "in " << kDoc;
    const std::size_t from = begin + begin_marker(section.name).size();
    const std::size_t end = doc.find(end_marker(section.name), from);
    ASSERT_NE(end, std::string::npos) << "no " << end_marker(section.name) << "in " << kDoc;
    if (write) {
      doc.replace(from, end - from, section.markdown);
    } else {
      EXPECT_EQ(doc.substr(from, end - from), section.markdown)
          << "docs/configuration.md is out of step with the code; rerun with "
             "QW_WRITE_REFERENCE=1 to rewrite it, or paste:\n"
          << section.markdown;
    }
  }
  if (write) std::ofstream(kDoc, std::ios::binary) << doc;
}

TEST(ReferenceDocs, EverySectionHasRowsAndNoEmptyCell) {
  for (const ReferenceSection& section : config_reference()) {
    SCOPED_TRACE(section.name);
    EXPECT_NE(section.markdown.find("| `"), std::string::npos);
    EXPECT_EQ(section.markdown.find("|  |"), std::string::npos) << section.markdown;
  }
}

}  // namespace
}  // namespace qw::config::test
