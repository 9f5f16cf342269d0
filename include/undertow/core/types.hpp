// Basic types shared by every layer: the execution and memory spaces, index
// boxes, and the fixed-size arrays that describe 1D/2D/3D extents.
//
// Undertow stores every field as a 3D array plus a component index; a 1D or 2D
// problem simply has extent 1 (and ghost width 0) in its unused trailing
// dimensions. One code path therefore serves 1D, 2D and 3D.
#pragma once

#include <Kokkos_Core.hpp>

#include <array>
#include <cstdint>

namespace undertow {

using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;

using Index3 = std::array<int, 3>;
using GlobalIndex3 = std::array<std::int64_t, 3>;

/// Half-open box [lo, hi) of local (ghost-inclusive) indices.
struct Box {
  Index3 lo{0, 0, 0};
  Index3 hi{0, 0, 0};
  std::int64_t size() const {
    std::int64_t n = 1;
    for (int d = 0; d < 3; ++d) n *= (hi[d] > lo[d]) ? (hi[d] - lo[d]) : 0;
    return n;
  }
  int extent(int d) const { return hi[d] - lo[d]; }
};

}  // namespace undertow
