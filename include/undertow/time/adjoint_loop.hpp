// AdjointLoop: runs a Stepper forward and then in reverse under a checkpoint
// schedule, with snapshots in memory, on disk, or both, and optional crash-safe
// restart of the reverse sweep.
//
// `run()` calls begin_forward, executes the schedule's actions (step, snapshot,
// restore, step_record + step_adjoint, with begin_adjoint right after the last
// step is recorded) and finally end_adjoint. A snapshot is a copy of the owned
// cells of every `primal_state()` field plus `primal_scalars()`; ghosts are not
// saved (the model's step refreshes them). With `restart_interval` > 0 and a
// directory, the loop persists the reverse sweep every that many reverse steps:
// the owned cells of `adjoint_state()` and `adjoint_scalars()`, every live
// snapshot (memory ones are written out once), and a manifest naming the schedule
// position, all written atomically. After a crash, `resume()` continues from the
// last such point and finishes with the bitwise same result as an uninterrupted
// run (given a deterministic model). Everything is collective over the
// communicator of the first primal field. `stats()` counts what was done, for
// benchmarks; docs/time.md describes schedules, storage costs and file layout.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "undertow/time/progress.hpp"
#include "undertow/time/schedule.hpp"
#include "undertow/time/snapshot_placement.hpp"
#include "undertow/time/stepper.hpp"

namespace undertow {

struct AdjointLoopOptions {
  SnapshotStorage storage = SnapshotStorage::Memory;
  /// MemoryThenDisk only: at most this many snapshot slots in memory.
  int memory_snapshots = 0;
  /// Disk snapshots and restart files go here (created if missing). The loop owns
  /// the files named in docs/time.md inside it; other files are left alone.
  std::string directory;
  /// > 0: persist the reverse sweep every this many reverse steps (needs `directory`).
  int restart_interval = 0;
  /// > 0: a progress line on rank 0 at most this often (seconds). If 0, the
  /// environment variable UNDERTOW_PROGRESS (seconds) is used when set.
  double progress_seconds = 0;
  /// Receives progress lines (rank 0 only); default prints to stdout.
  ProgressMeter::Sink progress_sink;
  /// Called on every rank after each step_adjoint(step) (monitoring, tests).
  std::function<void(int step)> after_reverse_step;
};

/// The progress-line interval `options` asks for: progress_seconds, or when that
/// is 0 the environment variable UNDERTOW_PROGRESS (seconds); <= 0: silent.
double progress_interval(const AdjointLoopOptions& options);

/// What a run (or a resumed run, counting only its own work) did. Times are this
/// rank's wall-clock seconds.
struct AdjointLoopStats {
  std::int64_t forward_steps = 0;          ///< Stepper::step calls, initial sweep included
  std::int64_t initial_forward_steps = 0;  ///< of those, before the first reverse step
  std::int64_t recomputed_steps = 0;       ///< of those, after it
  std::int64_t recorded_steps = 0;         ///< Stepper::step_record calls (one per reverse step)
  std::int64_t adjoint_steps = 0;          ///< Stepper::step_adjoint calls
  std::int64_t snapshots_written = 0;      ///< takes, memory and disk
  std::int64_t snapshots_written_to_disk = 0;
  std::int64_t snapshots_read = 0;  ///< restores, memory and disk
  std::int64_t snapshots_read_from_disk = 0;
  int peak_live_snapshots = 0;
  int peak_memory_snapshots = 0;
  std::int64_t snapshot_bytes = 0;      ///< one snapshot's field data, all ranks together
  std::int64_t disk_bytes_written = 0;  ///< field data written to files (snapshots, spills, adjoint states)
  std::int64_t disk_bytes_read = 0;
  std::int64_t restart_points = 0;        ///< restart points persisted
  std::int64_t spilled_snapshots = 0;     ///< memory snapshots written out for a restart point
  std::int64_t last_restart_action = -1;  ///< schedule position of the last restart point written
  bool resumed = false;
  std::int64_t resumed_at_action = -1;  ///< schedule position a resumed run started from
  double seconds_total = 0;
  double seconds_forward = 0;    ///< in Stepper::step during the initial sweep
  double seconds_recompute = 0;  ///< in Stepper::step afterwards
  double seconds_reverse = 0;    ///< in step_record + step_adjoint (+ begin_adjoint)
  double seconds_snapshots = 0;  ///< taking and restoring snapshots
  double seconds_restart = 0;    ///< persisting restart points (and loading one)
};

class AdjointLoop {
 public:
  /// Collective. Checks the options (a directory for disk storage or restarts)
  /// and walks the schedule once (see `summarize`). The stepper must outlive the loop.
  AdjointLoop(Stepper& stepper, CheckpointSchedule schedule, AdjointLoopOptions options = {});
  ~AdjointLoop();
  AdjointLoop(const AdjointLoop&) = delete;
  AdjointLoop& operator=(const AdjointLoop&) = delete;

  /// Collective. Forward sweep from the stepper's current state (step 0), then the
  /// reverse sweep; the gradient is left in the stepper's adjoint state. Removes
  /// any restart point left in the directory by an earlier run first.
  void run();
  /// Collective. Continues an interrupted run from the restart point in `directory`
  /// (default: options.directory), which must have been written by a loop with the
  /// same schedule and storage options. begin_forward and begin_adjoint are not
  /// called again; the stepper's primal and adjoint states are overwritten.
  void resume(const std::string& directory = "");
  /// Collective over `comm`: whether `directory` holds a restart point. False only
  /// if it holds no manifest; a manifest that cannot be read or parsed (truncated,
  /// corrupt, another version) throws an Error naming the file on every rank, and
  /// nothing is deleted.
  static bool restart_available(const std::string& directory, MPI_Comm comm);

  const AdjointLoopStats& stats() const;
  const CheckpointSchedule& schedule() const;
  /// The schedule's own counts (identical for every run of this schedule).
  const ScheduleSummary& schedule_summary() const;
  /// Where each slot lives (see snapshot_placement.hpp).
  const std::vector<SnapshotMedium>& placement() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace undertow
