// Snapshot placement: which checkpoint slots live in memory and which on disk.
//
// `AdjointLoop` keeps snapshots in memory (device View copies of the owned
// values), on disk (one parallel HDF5 file per snapshot), or memory-then-disk: at
// most m slots in memory, the rest on disk. A slot is placed once for the whole
// run. The placement is decided offline from the schedule itself (schedules are
// pure, so the traffic of every slot is known before the first step): each slot's
// traffic is its number of takes plus restores, and the slots with the LEAST
// traffic go to disk, ties broken towards the lower slot id (the older, longer
// held snapshot). This minimises the number of disk writes plus reads among all
// static placements. In a binomial schedule the outer snapshots (slot 0 holds the
// initial state for the whole run) are written once and read a few times while the
// inner ones are rewritten constantly, so the outer ones go to disk; in a periodic
// schedule the long-lived segment starts go to disk and the segment's short-lived
// states stay in memory, the classic two-level scheme.
#pragma once

#include <vector>

#include "undertow/time/schedule.hpp"

namespace undertow {

enum class SnapshotStorage { Memory, Disk, MemoryThenDisk };
enum class SnapshotMedium { Memory, Disk };

const char* to_string(SnapshotStorage storage);
const char* to_string(SnapshotMedium medium);

/// One medium per slot id of `summary` (summary.slots entries): all Memory for
/// Memory, all Disk for Disk, and the rule above for MemoryThenDisk with at most
/// `memory_slots` (>= 0) slots in memory.
std::vector<SnapshotMedium> place_snapshots(const ScheduleSummary& summary, SnapshotStorage storage,
                                            int memory_slots = 0);

}  // namespace undertow
