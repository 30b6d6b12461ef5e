// docs/configuration.md and docs/alerting.md against the reference generated from the schema rows
// (config/schema.hpp):
// - sections the docs carry generated, between `<!-- generated: SECTION -->` and
//   `<!-- end generated: SECTION -->`, must hold exactly the generated text (run this test with
//   QW_WRITE_REFERENCE=1 to rewrite them in the source tree);
// - sections the docs describe in a table of prose must have one row per key, in the code's
//   order, and the code's default in the Default column.
// A key or a default changed in code and not in the docs fails here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/reference.hpp"

namespace qw::config::test {
namespace {

std::string path_of(const ReferenceSection& section) {
  return std::string(QW_SOURCE_DIR) + "/" + section.doc;
}

std::string read_doc(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

std::string begin_marker(const std::string& name) {
  return "<!-- generated: " + name + " -->\n";
}
std::string end_marker(const std::string& name) {
  return "<!-- end generated: " + name + " -->\n";
}

TEST(ReferenceDocs, TheDocsCarryTheGeneratedReferenceOfEverySection) {
  const bool write = std::getenv("QW_WRITE_REFERENCE") != nullptr;
  for (const ReferenceSection& section : config_reference()) {
    if (!section.generated) continue;
    SCOPED_TRACE(section.name);
    const std::string kDoc = path_of(section);
    std::string doc = read_doc(kDoc);
    ASSERT_FALSE(doc.empty()) << kDoc;
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
    if (write) std::ofstream(kDoc, std::ios::binary) << doc;
  }
}

// The cells of the first Markdown table after the line `heading`, header and separator left out.
std::vector<std::vector<std::string>> table_after(const std::string& doc,
                                                  const std::string& heading,
                                                  std::vector<std::string>& header) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(doc);
  std::string line;
  bool found = false;
  while (std::getline(lines, line) && !(found = line == heading)) {
  }
  EXPECT_TRUE(found) << "no line \"" << heading << "\"";
  bool in_table = false;
  while (std::getline(lines, line)) {
    if (!line.starts_with("|")) {
      if (in_table) break;
      continue;
    }
    std::vector<std::string> cells;
    // Split on '|' outside backticks: a cell may quote `a | b`.
    std::string cell;
    bool code = false;
    for (std::size_t i = 1; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '`') code = !code;
      if (c == '|' && !code && line[i - 1] != '\\') {
        const auto a = cell.find_first_not_of(' ');
        const auto b = cell.find_last_not_of(' ');
        cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
        cell.clear();
      } else {
        cell += c;
      }
    }
    if (!in_table) {
      header = cells;
    } else if (!cells.empty() && !cells[0].starts_with("---")) {
      rows.push_back(cells);
    }
    in_table = true;
  }
  return rows;
}

TEST(ReferenceDocs, TheDocsTablesListEveryKeyWithTheCodesDefault) {
  for (const ReferenceSection& section : config_reference()) {
    if (section.generated) continue;
    const std::string kDoc = path_of(section);
    const std::string doc = read_doc(kDoc);
    SCOPED_TRACE(section.name + " (" + section.heading + ")");
    std::vector<std::string> header;
    const auto rows = table_after(doc, section.heading, header);
    ASSERT_GE(header.size(), 2u);
    const bool has_defaults = header[1].starts_with("Default");
    std::vector<std::string> documented, expected;
    for (const auto& cells : rows) {
      documented.push_back(cells[0] + (has_defaults && cells.size() > 1 ? " | " + cells[1] : ""));
    }
    for (const ReferenceRow& r : section.rows) {
      expected.push_back("`" + r.key + "`" + (has_defaults ? " | " + r.default_value : ""));
    }
    EXPECT_EQ(documented, expected) << "the table after \"" << section.heading << "\" in " << kDoc
                                    << " and the code's rows (" << section.name << ") differ";
  }
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
