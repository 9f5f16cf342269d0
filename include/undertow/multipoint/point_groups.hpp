// PointGroups: the MPI side of a rank allocation.
//
// Built collectively on a communicator, it splits the ranks into the groups of a
// `RankAllocation` (MPI_Comm_split, one communicator per group) and gives every
// point that runs on this rank a communicator of its own (a duplicate of its
// group's), on which the point's solver builds its own Decomposition, Fields and
// Halos. Rank 0 of each group is its leader: the one rank that reports the group's
// results to everybody, so that each result is counted exactly once however many
// ranks a point runs on. Like every object holding communicators, a PointGroups
// must be destroyed before the Environment.
#pragma once

#include <mpi.h>

#include <map>
#include <vector>

#include "undertow/multipoint/point_spec.hpp"
#include "undertow/multipoint/rank_allocation.hpp"

namespace undertow {

class PointGroups {
 public:
  /// Collective over `comm`: allocates with `allocate_ranks(size of comm, ...)`.
  PointGroups(MPI_Comm comm, const std::vector<PointSpec>& points, Sharing sharing);
  /// Collective over `comm`: uses a given allocation, which must be for exactly
  /// the size of `comm`.
  PointGroups(MPI_Comm comm, RankAllocation allocation);
  ~PointGroups();
  PointGroups(const PointGroups&) = delete;
  PointGroups& operator=(const PointGroups&) = delete;

  /// A duplicate of the communicator it was built on.
  MPI_Comm comm() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  const RankAllocation& allocation() const { return allocation_; }

  /// This rank's group, its communicator, and this rank's place in it.
  int group() const { return group_; }
  MPI_Comm group_comm() const { return group_comm_; }
  int group_rank() const { return group_rank_; }
  /// True on rank 0 of the group.
  bool leader() const { return group_rank_ == 0; }
  /// Rank (in comm()) of the leader of group g.
  int leader_rank(int g) const { return allocation_.first_rank.at(static_cast<std::size_t>(g)); }

  /// Points run by this rank's group, in run order.
  const std::vector<int>& local_points() const;
  bool is_local(int point) const { return point_comms_.count(point) != 0; }
  /// The communicator of a local point (MPI_COMM_NULL for a point elsewhere).
  MPI_Comm point_comm(int point) const;

 private:
  void build(MPI_Comm comm);

  RankAllocation allocation_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Comm group_comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, group_ = 0, group_rank_ = 0;
  std::map<int, MPI_Comm> point_comms_;
};

}  // namespace undertow
