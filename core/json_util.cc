#include "core/json_util.h"

#include <limits>

namespace kilonas::core {

ObjectReader::ObjectReader(const nlohmann::json& object, std::string path) : object_(object), path_(std::move(path)) {
  if (!object_.is_object()) {
    throw JsonError((path_.empty() ? std::string("document") : "key '" + path_ + "'") + ": expected an object, got " +
                    JsonTypeName(object_));
  }
}

std::string ObjectReader::PathOf(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

void ObjectReader::Fail(const std::string& key, const std::string& problem) const {
  throw JsonError("key '" + PathOf(key) + "': " + problem);
}

const nlohmann::json& ObjectReader::Get(const std::string& key) {
  auto it = object_.find(key);
  if (it == object_.end()) Fail(key, "missing");
  read_.insert(key);
  return *it;
}

int64_t ObjectReader::Int64(const std::string& key) {
  const nlohmann::json& v = Get(key);
  if (!v.is_number_integer()) Fail(key, "expected an integer, got " + JsonTypeName(v));
  // nlohmann keeps integers above 2^63 - 1 unsigned; get<int64_t> would wrap them negative.
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    Fail(key, "integer out of range (" + v.dump() + " is more than 2^63 - 1)");
  }
  return v.get<int64_t>();
}

int ObjectReader::Int(const std::string& key) {
  const int64_t v = Int64(key);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    Fail(key, "integer out of range");
  }
  return static_cast<int>(v);
}

int ObjectReader::IntInRange(const std::string& key, int lo, int hi) {
  const int v = Int(key);
  if (v < lo || v > hi) Fail(key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
  return v;
}

double ObjectReader::Number(const std::string& key) {
  const nlohmann::json& v = Get(key);
  if (!v.is_number()) Fail(key, "expected a number, got " + JsonTypeName(v));
  return v.get<double>();
}

bool ObjectReader::Bool(const std::string& key) {
  const nlohmann::json& v = Get(key);
  if (!v.is_boolean()) Fail(key, "expected true or false, got " + JsonTypeName(v));
  return v.get<bool>();
}

std::string ObjectReader::String(const std::string& key) {
  const nlohmann::json& v = Get(key);
  if (!v.is_string()) Fail(key, "expected a string, got " + JsonTypeName(v));
  return v.get<std::string>();
}

const nlohmann::json& ObjectReader::Array(const std::string& key) {
  const nlohmann::json& v = Get(key);
  if (!v.is_array()) Fail(key, "expected an array, got " + JsonTypeName(v));
  return v;
}

const nlohmann::json& ObjectReader::Object(const std::string& key) {
  const nlohmann::json& v = Get(key);
  if (!v.is_object()) Fail(key, "expected an object, got " + JsonTypeName(v));
  return v;
}

void ObjectReader::RequireSchemaVersion(int expected) {
  const int version = Int("schema_version");
  if (version != expected) {
    Fail("schema_version",
         "unsupported version " + std::to_string(version) + " (expected " + std::to_string(expected) + ")");
  }
}

void ObjectReader::RejectUnknownKeys() const {
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (!read_.count(it.key())) throw JsonError("unknown key '" + PathOf(it.key()) + "'");
  }
}

std::string JsonTypeName(const nlohmann::json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "number";
  return value.type_name();
}

}  // namespace kilonas::core
