// Private: the restart manifest of AdjointLoop, a small text file naming the
// schedule, the position in it, the adjoint-state file and every live snapshot.
// It is the commit record of a restart point: written last, atomically, and only
// after every file it names is complete (docs/time.md, "Restart").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace undertow {
namespace time_detail {

struct ManifestSlot {
  int slot = -1;
  int step = 0;
  std::int64_t serial = 0;  ///< schedule position of the Take that filled it
  std::string medium;       ///< "memory" or "disk"
  std::string file;         ///< snapshot file (memory snapshots are written out too)
};

struct RestartManifest {
  static constexpr int kVersion = 1;
  std::string schedule_kind;
  int n_steps = 0;
  int schedule_parameter = 0;
  std::string storage;
  int memory_snapshots = 0;
  std::int64_t position = 0;      ///< index of the next action (a Restore)
  int next_reverse = 0;           ///< the next step to reverse
  std::int64_t forward_done = 0;  ///< advances before `position` (for progress)
  std::string adjoint_file;
  std::vector<ManifestSlot> slots;  ///< sorted by slot id

  std::string to_text() const;
  /// Throws Error (naming `where`) on a malformed or incomplete manifest.
  static RestartManifest parse(const std::string& text, const std::string& where);
};

}  // namespace time_detail
}  // namespace undertow
