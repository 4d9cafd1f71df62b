// Advisory lock on an output directory, so that two runs never write the same directory: a
// `.kilonas.lock` file in it, held with flock(2) for the life of the DirLock and carrying the
// owner's tool name and PID. The kernel drops the lock when its process dies, so a lock file left
// by a killed run is taken over (the note says whose it was); a live owner makes Acquire fail
// naming the tool and PID.
//
// Readers share, writers exclude: a run that only reads a directory (a search loading a finished
// supernet) takes a shared lock, which other readers may hold at once, and upgrades it to an
// exclusive one only when it turns out to write (the supernet must be trained first). A directory
// where no lock file can be made (a read-only mount) is read without one: nobody writes it.
#pragma once

#include <string>

#include "core/status.h"

namespace kilonas::core {

class DirLock {
 public:
  // Creates `dir` if needed. `note` (optional) receives a line when a stale lock was taken over.
  static Result<DirLock> Acquire(const std::string& dir, const std::string& tool, std::string* note = nullptr);
  // A shared lock for reading `dir` (created if it can be). Fails only while a writer holds it.
  static Result<DirLock> AcquireShared(const std::string& dir);
  // Shared -> exclusive, without waiting: fails while another run reads or writes the directory,
  // or where no lock file could be made (then nothing can be written there either).
  Status Upgrade(const std::string& tool);
  bool exclusive() const { return exclusive_; }
  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();  // releases the lock (the file stays: removing it would race a waiting owner)

 private:
  DirLock(int fd, std::string dir, bool exclusive) : fd_(fd), dir_(std::move(dir)), exclusive_(exclusive) {}
  int fd_ = -1;  // -1: a read-only directory, read without a lock
  std::string dir_;
  bool exclusive_ = false;
};

}  // namespace kilonas::core
