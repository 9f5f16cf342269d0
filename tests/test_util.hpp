// Helpers shared by the tests: grids used across layers, rank queries.
#pragma once

#include <mpi.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "undertow/undertow.hpp"

namespace undertow_test {

inline int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int world_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

/// True on every rank iff `local` is true on every rank.
inline bool all_ranks(bool local) {
  int mine = local ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all == 1;
}

/// Small grids that split over 1-4 ranks with room for ghost width 2.
inline undertow::GridSpec small_grid(int dim, std::array<bool, 3> periodic) {
  if (dim == 1) return undertow::GridSpec::line(13, periodic[0], 2.0);
  if (dim == 2) return undertow::GridSpec::rect(11, 9, {periodic[0], periodic[1]}, {1.0, 0.8});
  return undertow::GridSpec::box(9, 8, 7, periodic, {1.0, 0.9, 0.7});
}

/// A unique, decomposition-independent value per (component, global cell).
inline double global_code(int c, std::int64_t i, std::int64_t j, std::int64_t k) {
  return 1.0 + c * 1.0e6 + static_cast<double>(i) * 1.0e4 + static_cast<double>(j) * 1.0e2 + static_cast<double>(k);
}

}  // namespace undertow_test
