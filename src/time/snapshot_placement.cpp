#include "undertow/time/snapshot_placement.hpp"

#include <algorithm>
#include <numeric>

#include "undertow/core/error.hpp"

namespace undertow {

const char* to_string(SnapshotStorage storage) {
  switch (storage) {
    case SnapshotStorage::Memory:
      return "memory";
    case SnapshotStorage::Disk:
      return "disk";
    case SnapshotStorage::MemoryThenDisk:
      return "memory_then_disk";
  }
  return "?";
}

const char* to_string(SnapshotMedium medium) {
  return medium == SnapshotMedium::Memory ? "memory" : "disk";
}

std::vector<SnapshotMedium> place_snapshots(const ScheduleSummary& summary, SnapshotStorage storage, int memory_slots) {
  const auto slots = static_cast<std::size_t>(summary.slots);
  if (storage == SnapshotStorage::Memory) return std::vector<SnapshotMedium>(slots, SnapshotMedium::Memory);
  if (storage == SnapshotStorage::Disk) return std::vector<SnapshotMedium>(slots, SnapshotMedium::Disk);
  if (memory_slots < 0) {
    throw Error("memory-then-disk snapshots: the memory budget must not be negative, got " +
                std::to_string(memory_slots));
  }
  std::vector<SnapshotMedium> medium(slots, SnapshotMedium::Memory);
  if (static_cast<std::size_t>(memory_slots) >= slots) return medium;
  auto traffic = [&](std::size_t s) {
    const std::int64_t t = s < summary.slot_takes.size() ? summary.slot_takes[s] : 0;
    const std::int64_t r = s < summary.slot_restores.size() ? summary.slot_restores[s] : 0;
    return t + r;
  };
  std::vector<std::size_t> order(slots);
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return traffic(a) < traffic(b); });
  const std::size_t on_disk = slots - static_cast<std::size_t>(memory_slots);
  for (std::size_t i = 0; i < on_disk; ++i) medium[order[i]] = SnapshotMedium::Disk;
  return medium;
}

}  // namespace undertow
