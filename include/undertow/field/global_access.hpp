// Host-side access to fields by global cell index, for tests, I/O and set-up.
//
// `set_by_global_index` evaluates a host function at every owned cell (and, with
// `include_ghosts`, at ghost cells, wrapping periodic indices) and copies the
// result to the device. `gather_global` assembles the natural global array
// (component-major, then i, j, k with k fastest) on every rank. Both are meant
// for set-up, checks and small outputs, not for time-critical loops.
// `set_by_cell_center` is the same for a function of the cell centre (x, y, z),
// the way solvers take initial states, coefficients and observations.
#pragma once

#include <Kokkos_Core.hpp>
#include <functional>
#include <vector>

#include "undertow/field/field.hpp"

namespace undertow {

/// f(component, gi, gj, gk) -> T at every owned cell; with include_ghosts also in
/// ghost cells whose global index (wrapped where periodic) lies inside the grid.
template <class T>
void set_by_global_index(const Field<T>& field,
                         const std::function<T(int, std::int64_t, std::int64_t, std::int64_t)>& f,
                         bool include_ghosts = false) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), field.view());
  const GridSpec& grid = field.decomposition().grid();
  const Box box = include_ghosts ? field.full_box() : field.owned_box();
  for (int c = 0; c < field.components(); ++c) {
    for (int i = box.lo[0]; i < box.hi[0]; ++i) {
      for (int j = box.lo[1]; j < box.hi[1]; ++j) {
        for (int k = box.lo[2]; k < box.hi[2]; ++k) {
          const int local[3] = {i, j, k};
          std::int64_t g[3];
          bool inside = true;
          for (int d = 0; d < 3; ++d) {
            g[d] = field.global_index(d, local[d]);
            if (g[d] < 0 || g[d] >= grid.cells[d]) {
              if (grid.periodic[d]) {
                g[d] = (g[d] % grid.cells[d] + grid.cells[d]) % grid.cells[d];
              } else {
                inside = false;
              }
            }
          }
          if (inside) host(c, i, j, k) = f(c, g[0], g[1], g[2]);
        }
      }
    }
  }
  Kokkos::deep_copy(field.view(), host);
}

/// A function of the cell centre (x, y, z); coordinates of unused dimensions are
/// the centre of the trivial dimension.
using CellFunction = std::function<double(double x, double y, double z)>;

/// Every owned cell (all components) gets f at its centre.
void set_by_cell_center(const Field<double>& field, const CellFunction& f);

/// The global array of owned values, identical on every rank:
/// index ((c * nx + gi) * ny + gj) * nz + gk. Collective.
std::vector<double> gather_global(const Field<double>& field);

}  // namespace undertow
