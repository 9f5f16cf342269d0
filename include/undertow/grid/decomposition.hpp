// Decomposition: a Cartesian split of an MPI communicator over a GridSpec.
//
// Ranks form a px x py x pz process grid, chosen automatically (like
// MPI_Dims_create, favouring balanced subdomains) or given by the user. Each rank
// owns a box of global cells; uneven splits give the first (n mod p) ranks of a
// dimension one extra cell. Every rank knows its neighbours in all 3^dim - 1
// directions (faces, edges, corners); in a periodic dimension the neighbour wraps
// around and may be the rank itself. Construction is collective and validates its
// input identically on every rank, so a bad request throws everywhere at once.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "undertow/core/types.hpp"
#include "undertow/grid/grid_spec.hpp"

namespace undertow {

class Decomposition {
 public:
  /// Collective over `comm`. `ranks_per_dim` of all zeros means "decide"; a zero in
  /// one entry means "decide this one". The communicator is duplicated.
  Decomposition(const GridSpec& grid, MPI_Comm comm, std::array<int, 3> ranks_per_dim = {0, 0, 0});
  ~Decomposition();
  Decomposition(const Decomposition&) = delete;
  Decomposition& operator=(const Decomposition&) = delete;

  static std::shared_ptr<const Decomposition> create(const GridSpec& grid, MPI_Comm comm,
                                                     std::array<int, 3> ranks_per_dim = {0, 0, 0}) {
    return std::make_shared<const Decomposition>(grid, comm, ranks_per_dim);
  }

  const GridSpec& grid() const { return grid_; }
  int dim() const { return grid_.dim; }
  MPI_Comm comm() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }

  /// Ranks per dimension (1 in unused dimensions) and this rank's coordinates.
  const std::array<int, 3>& ranks_per_dim() const { return ranks_per_dim_; }
  const std::array<int, 3>& coords() const { return coords_; }

  /// Owned box in global indices: [owned_lo, owned_lo + owned_cells).
  const GlobalIndex3& owned_lo() const { return owned_lo_; }
  const Index3& owned_cells() const { return owned_cells_; }
  std::int64_t owned_total() const {
    return std::int64_t(owned_cells_[0]) * owned_cells_[1] * owned_cells_[2];
  }

  /// Start and size of the block of process coordinate p in dimension d.
  std::int64_t block_start(int d, int p) const;
  int block_cells(int d, int p) const;
  /// The smallest owned extent in dimension d over all ranks (ghost widths that
  /// come from one neighbour cannot exceed it).
  int min_owned_cells(int d) const { return block_cells(d, ranks_per_dim_[d] - 1); }

  /// Neighbour rank in direction (ox, oy, oz), each in {-1, 0, 1}; MPI_PROC_NULL
  /// beyond a non-periodic boundary. The rank itself is possible when periodic.
  int neighbor(int ox, int oy, int oz) const { return neighbors_[(ox + 1) * 9 + (oy + 1) * 3 + (oz + 1)]; }
  int neighbor(const Index3& o) const { return neighbor(o[0], o[1], o[2]); }
  /// Rank owning process coordinates c (no wrapping).
  int rank_of_coords(const std::array<int, 3>& c) const;
  /// True if this rank's owned box touches the lower (side=0) / upper (side=1)
  /// global boundary of dimension d.
  bool at_boundary(int d, int side) const;

  /// Throws (collectively) if a ghost layer of `width` cannot be filled from the
  /// immediate neighbours in every dimension that has neighbours.
  void check_ghost_width(int width) const;

  std::string describe() const;

  /// Process grid chosen for `nranks` ranks on `grid` when entries of `requested`
  /// are 0. Pure function; throws Error if no valid split exists.
  static std::array<int, 3> choose_ranks_per_dim(const GridSpec& grid, int nranks, std::array<int, 3> requested);

 private:
  GridSpec grid_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  std::array<int, 3> ranks_per_dim_{1, 1, 1};
  std::array<int, 3> coords_{0, 0, 0};
  GlobalIndex3 owned_lo_{0, 0, 0};
  Index3 owned_cells_{1, 1, 1};
  std::array<int, 27> neighbors_{};
};

}  // namespace undertow
