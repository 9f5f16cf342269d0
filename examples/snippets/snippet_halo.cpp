// Snippet for docs/grid_field_halo.md: the primal exchange before a stencil, the
// transposed exchange after its scatter-form adjoint, and the dot-product test
// that ties the two together. Exits non-zero if a stated property fails.
#include <cmath>
#include <iomanip>
#include <random>
#include <sstream>

#include "undertow/undertow.hpp"

using namespace undertow;

namespace {

/// Random values in every cell, ghosts included (a different stream per rank).
void randomize(const Field<double>& f, unsigned seed) {
  auto host = Kokkos::create_mirror_view(f.view());
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (std::size_t n = 0; n < host.span(); ++n) host.data()[n] = uniform(generator);
  Kokkos::deep_copy(f.view(), host);
}

}  // namespace

int main(int argc, char** argv) {
  undertow::Environment env(argc, argv);
  bool ok = true;
  {
    const double pi = std::acos(-1.0);
    const std::int64_t nx = 64, ny = 48;
    // [doc:exchange]
    auto decomposition = Decomposition::create(GridSpec::rect(nx, ny, {true, true}), env.world());
    Field<double> u(decomposition, "u", /*components=*/1, /*ghost=*/1);
    set_by_global_index<double>(u, [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
      return std::cos(2 * pi * i / nx) + std::sin(4 * pi * j / ny);
    });

    // Built once, reused every step: neighbour list, regions, buffers.
    Halo halo(decomposition, HaloPattern::Star, /*width=*/1);
    halo.exchange(u);  // every ghost within width 1 <- its owner's value

    // The 5-point stencil may now read one cell beyond the owned box.
    Field<double> lap = u.clone_layout("lap");
    auto in = u.view();
    auto out = lap.view();
    const Box owned = u.owned_box();
    Kokkos::parallel_for(
        "laplacian",
        Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>({owned.lo[0], owned.lo[1]}, {owned.hi[0], owned.hi[1]}),
        KOKKOS_LAMBDA(int i, int j) {
          out(0, i, j, 0) =
              in(0, i - 1, j, 0) + in(0, i + 1, j, 0) + in(0, i, j - 1, 0) + in(0, i, j + 1, 0) - 4 * in(0, i, j, 0);
        });
    // [doc:exchange end]

    // The discrete Laplacian of cos(2 pi i/nx) + sin(4 pi j/ny) is known exactly:
    // every value, including those next to rank and periodic boundaries, must match.
    const double lambda_x = 2 * (std::cos(2 * pi / nx) - 1), lambda_y = 2 * (std::cos(4 * pi / ny) - 1);
    Field<double> expected = u.clone_layout("expected");
    set_by_global_index<double>(expected, [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
      return lambda_x * std::cos(2 * pi * i / nx) + lambda_y * std::sin(4 * pi * j / ny);
    });
    axpy(expected, -1.0, lap);
    ok = ok && max_abs(expected) <= 1e-12;

    // [doc:adjoint]
    // Reverse of the stencil in scatter form: out(i, j) was computed from five
    // inputs, so out_bar(i, j) is added back to those five cells, some of which
    // are ghosts. One pass per stencil offset keeps the writes conflict-free.
    Field<double> lap_bar = lap.clone_layout("lap_bar");
    randomize(lap_bar, 7u + 31u * static_cast<unsigned>(env.rank()));
    zero_ghosts(lap_bar);
    Field<double> u_bar = u.clone_layout("u_bar");  // zero, ghosts included
    auto ob = lap_bar.view();
    auto ub = u_bar.view();
    const int offsets[5][3] = {{-1, 0, 1}, {1, 0, 1}, {0, -1, 1}, {0, 1, 1}, {0, 0, -4}};  // di, dj, weight
    for (const auto& o : offsets) {
      const int di = o[0], dj = o[1];
      const double weight = o[2];
      Kokkos::parallel_for(
          "laplacian_adjoint",
          Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>({owned.lo[0], owned.lo[1]}, {owned.hi[0], owned.hi[1]}),
          KOKKOS_LAMBDA(int i, int j) { ub(0, i + di, j + dj, 0) += weight * ob(0, i, j, 0); });
    }
    // The transpose of halo.exchange(u): each ghost's contribution is added to its
    // owner, then the ghost is zeroed; u_bar is now complete on the owned cells.
    halo.exchange_adjoint(u_bar);
    // [doc:adjoint end]

    // [doc:dot-test]
    // Dot-product test of the exchange E alone: <E x, y> = <x, E^T y>, with x and
    // y random in every cell (ghosts included) and dot_all summing over all cells.
    Field<double> x = u.clone_layout("x"), y = u.clone_layout("y");
    randomize(x, 11u + 31u * static_cast<unsigned>(env.rank()));
    randomize(y, 13u + 31u * static_cast<unsigned>(env.rank()));
    Field<double> ex = x.clone("Ex"), ety = y.clone("ETy");
    halo.exchange(ex);
    halo.exchange_adjoint(ety);
    const double lhs = dot_all(ex, y), rhs = dot_all(x, ety);
    const double scale = std::sqrt(dot_all(ex, ex) * dot_all(y, y));
    const bool transposed = std::abs(lhs - rhs) <= 1e-14 * scale;  // the same on every rank
    // [doc:dot-test end]
    ok = ok && transposed;

    // And the whole reverse pass: <L E u, lap_bar> = <u, E^T L^T lap_bar> over owned cells.
    const double forward = dot(lap, lap_bar), reverse = dot(u, u_bar);
    ok = ok && std::abs(forward - reverse) <= 1e-12 * (std::abs(forward) + std::abs(reverse));
    std::ostringstream report;
    report << std::scientific << std::setprecision(2) << "snippet_halo: <E x,y> - <x,E^T y> = " << lhs - rhs
           << ", <L E u,w> - <u,E^T L^T w> = " << forward - reverse;
    root_print(env.world(), report.str());
  }
  int all_ok = 0, mine = ok ? 1 : 0;
  MPI_Allreduce(&mine, &all_ok, 1, MPI_INT, MPI_MIN, env.world());
  root_print(env.world(), all_ok ? "snippet_halo: OK" : "snippet_halo: FAILED");
  return all_ok ? 0 : 1;
}
