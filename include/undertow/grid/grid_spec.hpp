// GridSpec: the global description of a uniform structured grid.
//
// A GridSpec holds the number of cells per dimension (1, 2 or 3 dimensions), the
// physical box [lower, upper] and whether each dimension is periodic. It knows
// nothing about MPI; `Decomposition` splits it over ranks. Unused dimensions of a
// 1D or 2D grid have one cell, extent [0, 1] and are not periodic.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace undertow {

struct GridSpec {
  int dim = 0;
  std::array<std::int64_t, 3> cells{1, 1, 1};
  std::array<double, 3> lower{0.0, 0.0, 0.0};
  std::array<double, 3> upper{1.0, 1.0, 1.0};
  std::array<bool, 3> periodic{false, false, false};

  /// Convenience constructors: unit box [0,1]^dim unless extents are given.
  static GridSpec line(std::int64_t nx, bool periodic_x = false, double length = 1.0);
  static GridSpec rect(std::int64_t nx, std::int64_t ny, std::array<bool, 2> periodic = {false, false},
                       std::array<double, 2> length = {1.0, 1.0});
  static GridSpec box(std::int64_t nx, std::int64_t ny, std::int64_t nz,
                      std::array<bool, 3> periodic = {false, false, false},
                      std::array<double, 3> length = {1.0, 1.0, 1.0});

  /// Cell width in dimension d (upper - lower) / cells.
  double spacing(int d) const { return (upper[d] - lower[d]) / static_cast<double>(cells[d]); }
  /// Centre of global cell index i in dimension d.
  double center(int d, std::int64_t i) const { return lower[d] + (static_cast<double>(i) + 0.5) * spacing(d); }
  std::int64_t total_cells() const { return cells[0] * cells[1] * cells[2]; }

  /// Throws undertow::Error naming the first problem (dim not 1-3, a non-positive
  /// cell count, an empty or inverted extent, an unused dimension that is not trivial).
  void validate() const;
  std::string describe() const;
};

}  // namespace undertow
