// Snippet for docs/grid_field_halo.md: a grid, its decomposition over the ranks,
// and the neighbour table. Run on any number of ranks; exits non-zero if a
// property the documentation states does not hold.
#include <string>

#include "undertow/undertow.hpp"

int main(int argc, char** argv) {
  undertow::Environment env(argc, argv);
  using namespace undertow;
  bool ok = true;
  {
    // [doc:grid]
    // 256 x 128 cells on [0, 2] x [0, 1], periodic in x only.
    const GridSpec grid = GridSpec::rect(256, 128, {true, false}, {2.0, 1.0});
    // Let Undertow choose the process grid (like PETSC_DECIDE) ...
    auto decomposition = Decomposition::create(grid, env.world());
    // ... or fix some entries: {0, 1, 0} means "decide x, one rank in y".
    auto slabs = Decomposition::create(grid, env.world(), {0, 1, 0});

    root_print(env.world(), decomposition->describe());
    // This rank's block of global cells: [owned_lo, owned_lo + owned_cells).
    const GlobalIndex3 lo = decomposition->owned_lo();
    const Index3 n = decomposition->owned_cells();
    // Neighbours by direction (-1, 0, +1 per dimension); MPI_PROC_NULL beyond a
    // non-periodic boundary, possibly this rank itself across a periodic one.
    const int east = decomposition->neighbor(+1, 0, 0);
    const int north = decomposition->neighbor(0, +1, 0);
    const bool on_bottom_wall = decomposition->at_boundary(/*dim=*/1, /*side=*/0);
    // [doc:grid end]

    // Checks: the blocks tile the grid, x wraps, y does not.
    std::int64_t owned = decomposition->owned_total(), total = 0;
    MPI_Allreduce(&owned, &total, 1, MPI_INT64_T, MPI_SUM, env.world());
    ok = ok && total == grid.total_cells();
    ok = ok && east != MPI_PROC_NULL;
    ok = ok && (decomposition->at_boundary(1, 1) ? north == MPI_PROC_NULL : north != MPI_PROC_NULL);
    ok = ok && on_bottom_wall == (lo[1] == 0);
    ok = ok && n[0] >= 1 && n[1] >= 1 && n[2] == 1;
    ok = ok && slabs->ranks_per_dim()[1] == 1 && slabs->ranks_per_dim()[0] == env.size();
  }
  int all_ok = 0, mine = ok ? 1 : 0;
  MPI_Allreduce(&mine, &all_ok, 1, MPI_INT, MPI_MIN, env.world());
  root_print(env.world(), all_ok ? "snippet_grid: OK" : "snippet_grid: FAILED");
  return all_ok ? 0 : 1;
}
