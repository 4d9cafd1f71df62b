#include "core/checked_file.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/crc32.h"
#include "core/file_io.h"
#include "core/json_util.h"

namespace kilonas::core {
namespace {

struct Digest {
  int64_t bytes = -1;
  uint32_t crc = 0;
  bool operator==(const Digest& o) const { return bytes == o.bytes && crc == o.crc; }
};

Digest DigestOf(const std::string& content) {
  return {static_cast<int64_t>(content.size()), Crc32(content.data(), content.size())};
}

nlohmann::ordered_json DigestJson(const Digest& d) { return {{"bytes", d.bytes}, {"crc32", Crc32Text(d.crc)}}; }

Digest DigestFromJson(ObjectReader& r) {
  Digest d;
  d.bytes = r.Int64("bytes");
  const std::string crc = r.String("crc32");
  size_t used = 0;
  unsigned long value = 0;
  try {
    value = std::stoul(crc, &used, 16);
  } catch (const std::exception&) {
    used = 0;
  }
  if (crc.size() != 8 || used != crc.size()) throw JsonError("key '" + r.PathOf("crc32") + "': expected 8 hex digits");
  d.crc = static_cast<uint32_t>(value);
  return d;
}

struct Manifest {
  Digest file;
  Digest replaces;  // bytes -1: none
  FileTags tags;
};

Manifest ManifestFromJson(const nlohmann::json& doc) {
  ObjectReader r(doc, "");
  r.RequireSchemaVersion(1);
  Manifest m;
  r.String("file");
  m.file = DigestFromJson(r);
  if (r.Has("replaces")) {
    ObjectReader old(r.Object("replaces"), "replaces");
    m.replaces = DigestFromJson(old);
    old.RejectUnknownKeys();
  }
  const nlohmann::json& tags = r.Object("tags");
  for (const auto& [key, value] : tags.items()) {
    if (!value.is_string()) throw JsonError("key 'tags." + key + "': expected a string");
    m.tags[key] = value.get<std::string>();
  }
  r.RejectUnknownKeys();
  return m;
}

Result<Manifest> LoadManifest(const std::string& path) {
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.error();
  return ParseJsonWith<Manifest>(text.value(), path, ManifestFromJson);
}

}  // namespace

std::string ManifestPath(const std::string& path) { return path + ".manifest.json"; }

Status CommitChecked(const std::string& temp, const std::string& path, const FileTags& tags) {
  Result<std::string> content = ReadTextFile(temp);
  if (!content.ok()) return content.error();
  nlohmann::ordered_json doc;
  doc["schema_version"] = 1;
  doc["file"] = std::filesystem::path(path).filename().string();
  const Digest digest = DigestOf(content.value());
  doc["bytes"] = digest.bytes;
  doc["crc32"] = Crc32Text(digest.crc);
  if (Result<Manifest> old = LoadManifest(ManifestPath(path)); old.ok()) doc["replaces"] = DigestJson(old.value().file);
  doc["tags"] = nlohmann::ordered_json::object();
  for (const auto& [key, value] : tags) doc["tags"][key] = value;
  if (Status s = WriteFileAtomic(ManifestPath(path), doc.dump(2) + "\n"); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) return Status::Fail(path + ": cannot rename " + temp + " into place: " + ec.message());
  return Status::Ok();
}

Status WriteChecked(const std::string& path, const std::string& content, const FileTags& tags) {
  const std::string temp = path + ".new";
  if (Status s = WriteFileAtomic(temp, content); !s.ok()) return s;
  return CommitChecked(temp, path, tags);
}

Result<std::string> ReadChecked(const std::string& path, const FileTags& expected, const std::string& remedy) {
  const std::string manifest_path = ManifestPath(path);
  Result<std::string> content = ReadTextFile(path);
  if (!content.ok()) return content.error();
  if (!std::filesystem::exists(manifest_path)) {
    return Error{path + ": no manifest " + manifest_path + " beside it, so its integrity cannot be checked; " + remedy};
  }
  Result<Manifest> manifest = LoadManifest(manifest_path);
  if (!manifest.ok()) return Error{manifest.error().message + "; " + remedy};
  const Digest actual = DigestOf(content.value());
  const Manifest& m = manifest.value();
  if (!(actual == m.file) && !(actual == m.replaces)) {
    return Error{path + ": corrupt or modified: " + std::to_string(actual.bytes) + " bytes with CRC-32 " +
                 Crc32Text(actual.crc) + ", its manifest says " + std::to_string(m.file.bytes) + " bytes with CRC-32 " +
                 Crc32Text(m.file.crc) + "; " + remedy};
  }
  for (const auto& [key, want] : expected) {
    auto it = m.tags.find(key);
    const std::string have = it == m.tags.end() ? "(none)" : it->second;
    if (have != want) {
      return Error{path + ": belongs to " + key + " '" + have + "', this run's " + key + " is '" + want + "'; " +
                   remedy};
    }
  }
  return content;
}

Status VerifyChecked(const std::string& path, const FileTags& expected, const std::string& remedy) {
  return ReadChecked(path, expected, remedy).status();
}

}  // namespace kilonas::core
