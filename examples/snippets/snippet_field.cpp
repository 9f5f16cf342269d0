// Snippet for docs/grid_field_halo.md: fields, index spaces, a kernel over the
// owned cells and global reductions. Exits non-zero if a stated property fails.
#include <cmath>

#include "undertow/undertow.hpp"

int main(int argc, char** argv) {
  undertow::Environment env(argc, argv);
  using namespace undertow;
  bool ok = true;
  {
    auto decomposition = Decomposition::create(GridSpec::box(24, 20, 16, {true, true, true}), env.world());

    // [doc:field]
    // A velocity field: 3 components, 2 ghost layers in each used dimension.
    Field<double> velocity(decomposition, "velocity", /*components=*/3, /*ghost=*/2);
    // Initial values from global indices (host-side, for set-up only).
    set_by_global_index<double>(velocity, [](int c, std::int64_t i, std::int64_t j, std::int64_t k) {
      return c == 0 ? std::sin(0.1 * static_cast<double>(i)) : static_cast<double>(j + k);
    });

    // A kernel over the owned cells: local indices run over owned_box(), which
    // starts at the ghost width; the ghost layer is [0, ghost) and beyond.
    Field<double> speed2(decomposition, "speed2", /*components=*/1, /*ghost=*/0);
    auto v = velocity.view();
    auto s = speed2.view();
    const Box owned = velocity.owned_box();
    const int shift = velocity.ghost();  // speed2 has no ghosts: its indices start at 0
    Kokkos::parallel_for(
        "speed2",
        Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>({owned.lo[0], owned.lo[1], owned.lo[2]},
                                                          {owned.hi[0], owned.hi[1], owned.hi[2]}),
        KOKKOS_LAMBDA(int i, int j, int k) {
          double sum = 0;
          for (int c = 0; c < 3; ++c) sum += v(c, i, j, k) * v(c, i, j, k);
          s(0, i - shift, j - shift, k - shift) = sum;
        });

    // Reductions cover owned cells only and give the bitwise same value on every rank.
    const double energy = 0.5 * sum(speed2);
    const double norm = norm2(velocity);
    // [doc:field end]

    ok = ok && std::abs(energy - 0.5 * norm * norm) <= 1e-12 * energy;
    // Local/global index maps are inverse to each other.
    ok = ok && velocity.global_index(0, velocity.local_index(0, 5)) == 5;
    ok = ok && velocity.extent(1) == decomposition->owned_cells()[1] + 2 * velocity.ghost(1);
  }
  int all_ok = 0, mine = ok ? 1 : 0;
  MPI_Allreduce(&mine, &all_ok, 1, MPI_INT, MPI_MIN, env.world());
  root_print(env.world(), all_ok ? "snippet_field: OK" : "snippet_field: FAILED");
  return all_ok ? 0 : 1;
}
