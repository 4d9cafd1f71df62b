// Strict JSON reading for config and profile files: every key is type-checked, unknown keys are
// rejected, and every error names the source file and the key path. Include only from *_json.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/status.h"

namespace kilonas::core {

// Thrown inside parsers; converted to an Error at the parsing boundary (see ParseJsonWith).
class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ObjectReader {
 public:
  // `path` is the key path of this object ("" for the root, "stages[2]" ...).
  ObjectReader(const nlohmann::json& object, std::string path);

  int Int(const std::string& key);
  int IntInRange(const std::string& key, int lo, int hi);  // fails outside [lo, hi]
  int64_t Int64(const std::string& key);
  double Number(const std::string& key);
  bool Bool(const std::string& key);
  std::string String(const std::string& key);
  const nlohmann::json& Array(const std::string& key);
  const nlohmann::json& Object(const std::string& key);
  bool Has(const std::string& key) const { return object_.contains(key); }
  // Reads "schema_version" and fails unless it equals `expected`.
  void RequireSchemaVersion(int expected);

  // Path of a child key, for nested readers and messages.
  std::string PathOf(const std::string& key) const;
  [[noreturn]] void Fail(const std::string& key, const std::string& problem) const;
  // Throws if the object has keys that were never read.
  void RejectUnknownKeys() const;

 private:
  const nlohmann::json& Get(const std::string& key);

  const nlohmann::json& object_;
  std::string path_;
  std::set<std::string> read_;
};

std::string JsonTypeName(const nlohmann::json& value);

// Parses `text` and runs `parse` on the document, turning any JSON or JsonError exception into an
// Error prefixed with `source`.
template <typename T, typename Fn>
Result<T> ParseJsonWith(const std::string& text, const std::string& source, Fn parse) {
  try {
    const nlohmann::json doc = nlohmann::json::parse(text);
    return parse(doc);
  } catch (const nlohmann::json::parse_error& e) {
    return Error{source + ": malformed JSON: " + e.what()};
  } catch (const JsonError& e) {
    return Error{source + ": " + e.what()};
  } catch (const nlohmann::json::exception& e) {
    return Error{source + ": " + e.what()};
  }
}

}  // namespace kilonas::core
