// Advisory lock on an output directory, so that two runs never write the same directory: a
// `.kilonas.lock` file in it, held with flock(2) for the life of the DirLock and carrying the
// owner's tool name and PID. The kernel drops the lock when its process dies, so a lock file left
// by a killed run is taken over (the note says whose it was); a live owner makes Acquire fail
// naming the tool and PID.
#pragma once

#include <string>

#include "core/status.h"

namespace kilonas::core {

class DirLock {
 public:
  // Creates `dir` if needed. `note` (optional) receives a line when a stale lock was taken over.
  static Result<DirLock> Acquire(const std::string& dir, const std::string& tool, std::string* note = nullptr);
  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();  // releases the lock (the file stays: removing it would race a waiting owner)

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace kilonas::core
