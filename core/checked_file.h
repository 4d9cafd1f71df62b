// Files whose integrity is verified when loaded (supernet checkpoints, search states): beside
// `path` a manifest `path.manifest.json` records the file's size and CRC-32 and tags naming what
// it belongs to (a space, a config). LibTorch does not check its archives' CRCs, and a hand-edited
// or bit-flipped file must not be trained or searched on silently.
//
// Commit order: the manifest is replaced first and also accepts the file being replaced, then the
// file is renamed over; an interruption between the two renames leaves a pair that verifies.
#pragma once

#include <map>
#include <string>

#include "core/status.h"

namespace kilonas::core {

using FileTags = std::map<std::string, std::string>;

std::string ManifestPath(const std::string& path);

// Moves the finished file `temp` to `path` with a new manifest carrying `tags`.
Status CommitChecked(const std::string& temp, const std::string& path, const FileTags& tags);
// Writes `content` to `path` (through a temporary file) and its manifest.
Status WriteChecked(const std::string& path, const std::string& content, const FileTags& tags);

// Checks `path` against its manifest: present, same size and CRC-32, and every tag of `expected`
// equal. Errors name the file and the mismatch and end with `remedy` (what the user should do).
Status VerifyChecked(const std::string& path, const FileTags& expected, const std::string& remedy);
// VerifyChecked, then the file's content.
Result<std::string> ReadChecked(const std::string& path, const FileTags& expected, const std::string& remedy);

}  // namespace kilonas::core
