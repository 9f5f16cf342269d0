#include "undertow/multipoint/point_groups.hpp"

#include "undertow/core/error.hpp"

namespace undertow {
namespace {

int comm_size(MPI_Comm comm) {
  int size = 1;
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  return size;
}

RankAllocation allocate_collectively(MPI_Comm comm, const std::vector<PointSpec>& points, Sharing sharing) {
  // The inputs are the same on every rank in a correct program, so this normally
  // throws everywhere at once; the agreement covers a rank that disagrees.
  RankAllocation a;
  collective_check(comm, [&] { a = allocate_ranks(comm_size(comm), points, sharing); });
  return a;
}

}  // namespace

PointGroups::PointGroups(MPI_Comm comm, const std::vector<PointSpec>& points, Sharing sharing)
    : allocation_(allocate_collectively(comm, points, sharing)) {
  build(comm);
}

PointGroups::PointGroups(MPI_Comm comm, RankAllocation allocation) : allocation_(std::move(allocation)) {
  collective_check(comm, [&] {
    const int size = comm_size(comm);
    if (allocation_.ranks != size) {
      throw Error("PointGroups: the allocation is for " + std::to_string(allocation_.ranks) +
                  " ranks but the communicator has " + std::to_string(size));
    }
    int covered = 0;
    for (int g = 0; g < allocation_.groups(); ++g) {
      const std::size_t G = static_cast<std::size_t>(g);
      if (allocation_.first_rank.size() != allocation_.group_size.size() ||
          allocation_.points_of_group.size() != allocation_.group_size.size() || allocation_.first_rank[G] != covered ||
          allocation_.group_size[G] < 1 || allocation_.points_of_group[G].empty()) {
        throw Error("PointGroups: group " + std::to_string(g) + " of the allocation does not start at rank " +
                    std::to_string(covered) + " or is empty; groups must be consecutive, with ranks and points");
      }
      covered += allocation_.group_size[G];
    }
    if (covered != size) {
      throw Error("PointGroups: the allocation's groups cover " + std::to_string(covered) + " of " +
                  std::to_string(size) + " ranks");
    }
  });
  build(comm);
}

void PointGroups::build(MPI_Comm comm) {
  check_mpi(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  group_ = allocation_.group_of_rank(rank_);
  check_mpi(MPI_Comm_split(comm_, group_, rank_, &group_comm_), "MPI_Comm_split");
  check_mpi(MPI_Comm_rank(group_comm_, &group_rank_), "MPI_Comm_rank");
  // One communicator per point, so that points sharing a group never see each
  // other's messages; created in run order, the same on every rank of the group.
  for (int p : local_points()) {
    MPI_Comm pc = MPI_COMM_NULL;
    check_mpi(MPI_Comm_dup(group_comm_, &pc), "MPI_Comm_dup");
    point_comms_[p] = pc;
  }
}

PointGroups::~PointGroups() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  for (auto& pc : point_comms_) MPI_Comm_free(&pc.second);
  if (group_comm_ != MPI_COMM_NULL) MPI_Comm_free(&group_comm_);
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

const std::vector<int>& PointGroups::local_points() const {
  return allocation_.points_of_group[static_cast<std::size_t>(group_)];
}

MPI_Comm PointGroups::point_comm(int point) const {
  auto it = point_comms_.find(point);
  return it == point_comms_.end() ? MPI_COMM_NULL : it->second;
}

}  // namespace undertow
