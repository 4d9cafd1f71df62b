// The include rules of docs/architecture.md ("What each library may include"), held against every
// #include "..." of the libraries, tools and benchmarks: an edge the page does not allow fails,
// naming the file and the line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace kilonas {
namespace {

const fs::path kRoot = KILONAS_SOURCE_DIR;

// library -> the libraries it may include, from the page's table.
std::map<std::string, std::set<std::string>> AllowedEdges() {
  std::ifstream page(kRoot / "docs/architecture.md");
  std::map<std::string, std::set<std::string>> allowed;
  bool in_section = false;
  const std::regex row(R"(^\| `([a-z_]+)` \|(.*)\|\s*$)"), name("`([a-z_]+)`");
  for (std::string line; std::getline(page, line);) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## What each library may include";
    std::smatch m;
    if (!in_section || !std::regex_match(line, m, row)) continue;
    std::set<std::string>& to = allowed[m[1]];
    const std::string rest = m[2];
    for (std::sregex_iterator it(rest.begin(), rest.end(), name), end; it != end; ++it) to.insert((*it)[1]);
  }
  return allowed;
}

// The library a quoted include names: its first folder, or the runtime for the runtime's own
// headers included by bare name; "" for a file the build generates or one beside the includer.
std::string LibraryOf(const std::string& include) {
  const size_t slash = include.find('/');
  if (slash != std::string::npos) return include.substr(0, slash);
  if (fs::exists(kRoot / "runtime" / include)) return "runtime";
  return "";
}

TEST(Layering, ArchitecturePageListsEveryLibrary) {
  const auto allowed = AllowedEdges();
  for (const char* library : {"runtime", "core", "data", "memory_planner", "latency_models", "search", "engine",
                              "report", "supernet", "pipeline", "apps", "bench"}) {
    EXPECT_TRUE(allowed.count(library)) << "docs/architecture.md has no row for " << library;
  }
}

TEST(Layering, EveryIncludeIsAnEdgeTheArchitecturePageAllows) {
  const auto allowed = AllowedEdges();
  const std::regex include(R"(^\s*#\s*include\s+"([^"]+)\")");
  int checked = 0;
  std::ostringstream violations;
  for (const auto& [library, may] : allowed) {
    if (!fs::is_directory(kRoot / library)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(kRoot / library)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cc" && ext != ".h" && ext != ".c" && ext != ".inc" && ext != ".in")) {
        continue;
      }
      std::ifstream file(entry.path());
      int number = 0;
      for (std::string line; std::getline(file, line);) {
        ++number;
        std::smatch m;
        if (!std::regex_search(line, m, include)) continue;
        const std::string target = LibraryOf(m[1]);
        ++checked;
        if (target.empty() || target == library || may.count(target)) continue;
        violations << fs::relative(entry.path(), kRoot).string() << ":" << number << ": " << library << " includes "
                   << m[1] << " (" << target << "), which docs/architecture.md does not allow\n";
      }
    }
  }
  EXPECT_GT(checked, 100);  // the scan found the sources
  EXPECT_EQ(violations.str(), "");
}

}  // namespace
}  // namespace kilonas
