// Rank allocation: which ranks run which points of a multipoint model.
//
// `allocate_ranks` is a pure function (no MPI) that splits `ranks` ranks into
// groups of consecutive ranks, one group per point when there are enough ranks:
// every point first gets its minimum, then the spare ranks are handed out one at a
// time, each to the point with the largest weight per rank it holds so far (weight
// / ranks: the slowest point if solves scale perfectly) among those below their
// maximum, ties to the lowest point index. This greedy rule minimises the largest
// weight per rank, is deterministic, and gives 8 ranks with weights [1,2,1,4]
// the counts 1,2,1,4 and 6 ranks with weights [1,2,1] the counts 2,3,1. More
// ranks than the maximums add up to is an error. With fewer ranks than the minimums
// add up to, points may share a group (`Sharing::Allow`) and then run one after
// another on it: the points are dealt by decreasing weight to the least loaded of
// G groups (longest-processing-time rule), with the largest G that satisfies every
// point's minimum and maximum; otherwise (`Sharing::Forbid`) it is an error. See
// docs/multipoint.md for the exact rules.
#pragma once

#include <string>
#include <vector>

#include "undertow/multipoint/point_spec.hpp"

namespace undertow {

/// Whether several points may run one after another on the same rank group.
enum class Sharing { Forbid, Allow };

struct RankAllocation {
  /// Total ranks allocated (the size of the communicator it is meant for).
  int ranks = 0;
  /// Group running each point.
  std::vector<int> group_of_point;
  /// Per group: first rank, number of ranks, and its points in run order
  /// (ascending point index). Groups are numbered by their lowest point.
  std::vector<int> first_rank;
  std::vector<int> group_size;
  std::vector<std::vector<int>> points_of_group;

  int groups() const { return static_cast<int>(group_size.size()); }
  /// Group that rank `rank` belongs to.
  int group_of_rank(int rank) const;
  /// Ranks each point runs on (the size of its group).
  std::vector<int> ranks_of_point() const;
  /// The points each rank runs, in run order: the rank -> point map.
  std::vector<std::vector<int>> points_of_rank() const;
  /// True if some group runs more than one point.
  bool shared() const;
  /// One line per group: "group 1: ranks 1-2, points [1]".
  std::string describe() const;
};

/// Splits `ranks` ranks over `points` (see the file comment for the rule). Throws
/// Error, with the numbers in the message, when the points cannot use that many
/// ranks or cannot fit into them.
RankAllocation allocate_ranks(int ranks, const std::vector<PointSpec>& points, Sharing sharing);

}  // namespace undertow
