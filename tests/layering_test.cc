// The include rules of docs/architecture.md ("What each library may include"), held against every
// #include "..." of the libraries, tools and benchmarks: an edge the page does not allow fails,
// naming the file and the line. And the size rule of docs/extending.md: no function of those
// sources is longer than 60 lines.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

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
                              "report", "tflite", "ondevice", "supernet", "pipeline", "apps", "bench"}) {
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

// A function definition starts at column 0 (its signature may span a few lines and ends with
// "{"); types, namespaces, preprocessor lines and comments do not count.
bool StartsDefinition(const std::vector<std::string>& lines, size_t i, size_t* body) {
  const std::string& first = lines[i];
  if (first.empty() || std::isspace(static_cast<unsigned char>(first[0]))) return false;
  for (const char* skip : {"//", "/*", "#", "}", "namespace", "using", "template", "struct", "class", "enum",
                           "static const", "const std::", "constexpr", "extern"}) {
    if (first.rfind(skip, 0) == 0) return false;
  }
  std::string signature;
  for (size_t j = i; j < lines.size() && j < i + 8; ++j) {
    signature += lines[j];
    const size_t end = lines[j].find_last_not_of(" \t");
    if (end == std::string::npos) continue;
    if (lines[j][end] == ';') return false;
    if (lines[j][end] == '{') {
      *body = j;
      return signature.find('(') != std::string::npos && signature.find('=') > signature.find('(');
    }
  }
  return false;
}

TEST(FunctionSize, NoFunctionOfTheLibrariesToolsOrBenchmarksIsLongerThan60Lines) {
  constexpr size_t kMaxLines = 60;
  std::ostringstream long_functions;
  int functions = 0;
  for (const auto& [library, may] : AllowedEdges()) {
    if (!fs::is_directory(kRoot / library)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(kRoot / library)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cc" && ext != ".c")) continue;
      std::ifstream file(entry.path());
      std::vector<std::string> lines;
      for (std::string line; std::getline(file, line);) lines.push_back(line);
      for (size_t i = 0, body = 0; i < lines.size(); ++i) {
        if (!StartsDefinition(lines, i, &body)) continue;
        int depth = 0;
        size_t end = body;
        for (size_t k = i; k < lines.size(); ++k) {
          for (char c : lines[k]) depth += c == '{' ? 1 : c == '}' ? -1 : 0;
          end = k;
          if (k >= body && depth <= 0) break;
        }
        ++functions;
        if (end - i + 1 > kMaxLines) {
          long_functions << fs::relative(entry.path(), kRoot).string() << ":" << i + 1 << ": " << end - i + 1
                         << " lines: " << lines[i] << "\n";
        }
        i = end;
      }
    }
  }
  EXPECT_GT(functions, 500);  // the scan found the sources
  EXPECT_EQ(long_functions.str(), "") << "split these (docs/extending.md)";
}

}  // namespace
}  // namespace kilonas
