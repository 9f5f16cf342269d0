// The local reverse of one cell: Adj numbers on a stack tape, one recorded kernel
// evaluation, one reverse sweep. Its values are the double values bitwise; its
// gradient g(c) equals what the seeded forward (Dual, one evaluation per stencil
// offset) gives, to round-off, on every kernel of the tests and the solvers; a
// tape that is too small says so.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernel/sw_update_case.hpp"
#include "program/test_kernels.hpp"
#include "test_util.hpp"
#include "undertow/kernel/impl/cell_access.hpp"
#include "undertow/kernel/impl/local_gradient.hpp"
#include "undertow/solvers/advection_kernels.hpp"
#include "undertow/solvers/burgers_kernels.hpp"
#include "undertow/solvers/heat_kernels.hpp"
#include "undertow/solvers/shallow_water_kernels.hpp"

using namespace undertow;
using namespace undertow::detail;  // the local reverse is an internal of the gather assembly

namespace {

constexpr int kCap = 2048;

/// A smooth, positive-where-needed value for (input f, component c) at a global cell.
double input_value(int f, int c, std::int64_t i, std::int64_t j, std::int64_t k) {
  const double x = 0.37 * double(i) + 0.11 * double(j) - 0.23 * double(k) + 0.5 * f + 0.3 * c;
  return 1.5 + 0.4 * std::sin(x) + 0.2 * std::cos(1.7 * x + 0.4);
}

/// Fields for K's inputs on `grid` (ghosts filled by an exchange), and the KernelData
/// over them; `value(f, c, i, j, k)` gives the values.
template <class K>
struct Bench {
  std::shared_ptr<const Decomposition> dec;
  std::array<Field<double>, K::num_inputs> fields;
  KernelData<K> data;

  template <class Value>
  Bench(const K& kernel, const GridSpec& grid, Value value) : dec(Decomposition::create(grid, MPI_COMM_SELF)) {
    const int ghost = std::max(1, K::stencil.radius);  // a Halo needs width >= 1
    for (int f = 0; f < K::num_inputs; ++f) {
      fields[f] = Field<double>(dec, "in" + std::to_string(f), K::input_components(f), ghost);
      set_by_global_index<double>(
          fields[f], [&](int c, std::int64_t i, std::int64_t j, std::int64_t k) { return value(f, c, i, j, k); });
      Halo(dec, HaloPattern::Box, ghost).exchange(fields[f]);
    }
    data = make_kernel_data(kernel, fields);
  }

  /// Largest |g - seeded forward| relative to max(1, |reference|) over every owned
  /// cell, for output adjoints that vary with the cell; false in `ok` if a tape overflowed.
  double worst_difference(bool& ok) const {
    constexpr int G = local_gradient_size<K>();
    const Index3 n = dec->owned_cells();
    double worst = 0;
    ok = true;
    for (int i = 0; i < n[0]; ++i)
      for (int j = 0; j < n[1]; ++j)
        for (int k = 0; k < n[2]; ++k) {
          const Index3 p{i, j, k};
          double out_bar[K::output_values];
          for (int o = 0; o < K::output_values; ++o) out_bar[o] = std::cos(0.7 * i + 1.3 * j + 0.5 * k + o);
          double g[G];
          ok = local_gradient<kCap>(data, p, out_bar, g) && ok;
          for (int q = 0; q < K::stencil.size(); ++q) {
            const Index3 offset = K::stencil.offset(q);
            const SeededInput<K> seeded{data, p, offset};
            CellOutput<K, typename SeededInput<K>::scalar> out;
            data.kernel(seeded, out);
            for (int v = 0; v < K::input_values; ++v) {
              double reference = 0;
              for (int o = 0; o < K::output_values; ++o) reference += out_bar[o] * out.v[o].d[v];
              const double diff = std::abs(g[q * K::input_values + v] - reference);
              worst = std::max(worst, diff / std::max(1.0, std::abs(reference)));
            }
          }
        }
    return worst;
  }
};

template <class K, class Value>
void check_kernel(const std::string& name, const K& kernel, const GridSpec& grid, Value value) {
  INFO(name);
  const Bench<K> bench(kernel, grid, value);
  bool ok = false;
  const double worst = bench.worst_difference(ok);
  CHECK(ok);
  CHECK(worst <= 1e-13);
}

template <class K>
void check_kernel(const std::string& name, const K& kernel, const GridSpec& grid) {
  check_kernel(name, kernel, grid, input_value);
}

GridSpec grid_of(int dim) {
  if (dim == 1) return GridSpec::line(9, true);
  if (dim == 2) return GridSpec::rect(7, 6, {true, false});
  return GridSpec::box(5, 5, 4, {true, true, false});
}

using A = Adj<64>;

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("Adj values are the double values bitwise; its reverse sweep is the chain rule", "[ad][local]") {
  LocalTape<64> tape;
  const double xv = 0.7, yv = -1.3;
  const A x = A::input(xv, tape), y = A::input(yv, tape);
  const A f = undertow::sqrt(x * x + 1.0) * undertow::sin(y) / (2.0 - x) + undertow::max(x, y) -
              undertow::pow(x, 1.5) * undertow::tanh(y) + undertow::exp(-x * y) + undertow::abs(y);
  const double fv = undertow::sqrt(xv * xv + 1.0) * undertow::sin(yv) / (2.0 - xv) + undertow::max(xv, yv) -
                    undertow::pow(xv, 1.5) * undertow::tanh(yv) + undertow::exp(-xv * yv) + undertow::abs(yv);
  CHECK(same_bits(f.val, fv));
  double adjoint[65] = {};  // Cap + 1: the last is the sink of constants
  adjoint[f.idx] = 1.0;
  tape.reverse(adjoint);
  // Against forward mode.
  using D = Dual<double, 2>;
  const D dx = D::variable(xv, 0), dy = D::variable(yv, 1);
  const D h = undertow::sqrt(dx * dx + 1.0) * undertow::sin(dy) / (2.0 - dx) + undertow::max(dx, dy) -
              undertow::pow(dx, 1.5) * undertow::tanh(dy) + undertow::exp(-dx * dy) + undertow::abs(dy);
  CHECK(adjoint[x.idx] == Approx(h.d[0]).epsilon(1e-14));
  CHECK(adjoint[y.idx] == Approx(h.d[1]).epsilon(1e-14));
  // Constants record nothing.
  const int before = tape.size;
  const A c = A(2.0) * A(3.0) + 1.0;
  CHECK(c.val == 7.0);
  CHECK_FALSE(c.active());
  CHECK(tape.size == before);
}

TEST_CASE("a singular function on a direction that does not move it gives 0, as Dual does", "[ad][local]") {
  // sqrt(x * x) at x = 0: slope inf times d(x * x)/dx = 0. Dual's convention: 0, not
  // inf * 0 = NaN, whether the square root and the square share a statement or not.
  LocalTape<64> tape;
  const A x = A::input(0.0, tape), y = A::input(2.0, tape);
  const A together = undertow::sqrt(x * x) * y + undertow::sqrt(y);
  const A square = x * x;
  const A apart = undertow::sqrt(square) * y + undertow::log(y);
  using D = Dual<double, 2>;
  const D dx = D::variable(0.0, 0), dy = D::variable(2.0, 1);
  const D together_d = undertow::sqrt(dx * dx) * dy + undertow::sqrt(dy);
  const D apart_d = undertow::sqrt(dx * dx) * dy + undertow::log(dy);
  for (const auto& [f, reference] : {std::pair<A, D>{together, together_d}, std::pair<A, D>{apart, apart_d}}) {
    double adjoint[65] = {};
    adjoint[f.idx] = 1.0;
    tape.reverse(adjoint);
    CHECK(reference.d[0] == 0.0);
    CHECK(adjoint[x.idx] == 0.0);  // not NaN
    CHECK(adjoint[y.idx] == Approx(reference.d[1]).epsilon(1e-15));
  }
}

TEST_CASE("a vector sweep gives every seed what a scalar sweep gives it", "[ad][local]") {
  // Three outputs of one recording, four seeds over them; sqrt at 0 has an
  // infinite slope, which a seed that does not reach it must not turn into NaN.
  LocalTape<64> tape;
  const A x = A::input(0.0, tape), y = A::input(2.0, tape);
  const A root = undertow::sqrt(x) + y;
  const A product = x * y + undertow::sin(y);
  const A both = undertow::exp(x) * undertow::cos(y);
  constexpr int M = 4;
  const double seeds[M][3] = {{0.0, 1.0, 0.5}, {1.0, 0.0, 0.0}, {0.3, -2.0, 1.5}, {0.0, 0.0, 0.0}};
  double vector[65 * M] = {};
  for (int s = 0; s < M; ++s) {
    vector[root.idx * M + s] += seeds[s][0];
    vector[product.idx * M + s] += seeds[s][1];
    vector[both.idx * M + s] += seeds[s][2];
  }
  tape.reverse_seeds<M>(vector);
  bool same = true;
  for (int s = 0; s < M; ++s) {
    double scalar[65] = {};
    scalar[root.idx] += seeds[s][0];
    scalar[product.idx] += seeds[s][1];
    scalar[both.idx] += seeds[s][2];
    tape.reverse(scalar);
    for (int i = 0; i < tape.size; ++i) same = same && scalar[i] == vector[i * M + s];
  }
  CHECK(same);
  CHECK(vector[x.idx * M + 0] == Approx(2.0 + 0.5 * std::cos(2.0)).epsilon(1e-15));  // not NaN
  CHECK(std::isinf(vector[x.idx * M + 1]));
  CHECK(vector[x.idx * M + 3] == 0.0);
}

TEST_CASE("a tape that is too small says so instead of returning a wrong gradient", "[ad][local]") {
  LocalTape<4> tape;
  using Small = Adj<4>;
  const Small x = Small::input(1.0, tape);
  Small y = x;
  for (int i = 0; i < 10; ++i) y = y * x + 1.0;
  CHECK(tape.overflowed());
  CHECK(y.val == 11.0);  // values stay right; derivatives are gone
  const Bench<undertow_test::BoxSmoother<2>> bench(undertow_test::BoxSmoother<2>{}, grid_of(2), input_value);
  const double out_bar[1] = {1.0};
  double g[local_gradient_size<undertow_test::BoxSmoother<2>>()];
  CHECK_FALSE(local_gradient<24>(bench.data, Index3{1, 1, 0}, out_bar, g));  // 18 inputs + 11 statements
  CHECK(local_gradient<kCap>(bench.data, Index3{1, 1, 0}, out_bar, g));
}

TEST_CASE("Stencil::index inverts Stencil::offset", "[kernel][local]") {
  for (const Stencil s : {Stencil::star(1, 1), Stencil::star(2, 2), Stencil::star(3, 1), Stencil::box(2, 1),
                          Stencil::box(3, 2), Stencil::point(2)}) {
    for (int q = 0; q < s.size(); ++q) {
      const Index3 o = s.offset(q);
      CHECK(s.index(o[0], o[1], o[2]) == q);
    }
  }
}

TEST_CASE("local gradients equal the seeded forward derivatives on the test kernels", "[kernel][local]") {
  using namespace undertow_test;
  check_kernel("Diffusion 1D", Diffusion<1>{}, grid_of(1));
  check_kernel("Diffusion 2D", Diffusion<2>{}, grid_of(2));
  check_kernel("Diffusion 3D", Diffusion<3>{}, grid_of(3));
  check_kernel("FourthOrderReaction 1D", FourthOrderReaction<1>{}, grid_of(1));
  check_kernel("FourthOrderReaction 2D", FourthOrderReaction<2>{}, GridSpec::rect(8, 7, {true, true}));
  check_kernel("BoxSmoother 2D", BoxSmoother<2>{}, grid_of(2));
  check_kernel("BoxSmoother 3D", BoxSmoother<3>{}, grid_of(3));
  // Values of both signs: the upwind branch goes both ways.
  const auto both_signs = [](int f, int c, std::int64_t i, std::int64_t j, std::int64_t k) {
    return input_value(f, c, i, j, k) - (f == 0 ? 1.5 : 0.0);
  };
  check_kernel("UpwindBurgers 1D", UpwindBurgers<1>{}, grid_of(1), both_signs);
  check_kernel("UpwindBurgers 2D", UpwindBurgers<2>{}, grid_of(2), both_signs);
}

TEST_CASE("local gradients equal the seeded forward derivatives on the solvers' kernels", "[kernel][local]") {
  {
    solvers::heat::HeatKernel<2> heat;
    heat.c[0] = 0.1;
    heat.c[1] = 0.2;
    check_kernel("heat 2D", heat, grid_of(2));
    solvers::heat::HeatKernel<3> heat3;
    heat3.c[0] = heat3.c[1] = heat3.c[2] = 0.1;
    check_kernel("heat 3D", heat3, grid_of(3));
  }
  const auto both_signs = [](int f, int c, std::int64_t i, std::int64_t j, std::int64_t k) {
    return input_value(f, c, i, j, k) - (f == 0 ? 1.5 : 0.0);
  };
  {
    solvers::burgers::BurgersKernel<2> burgers;
    burgers.dt_h[0] = burgers.dt_h[1] = 0.1;
    burgers.dt_h2[0] = burgers.dt_h2[1] = 0.05;
    check_kernel("Burgers 2D", burgers, grid_of(2), both_signs);
  }
  for (int limiter = 0; limiter < 3; ++limiter) {
    solvers::advection::MusclSweep<2, 0, -1> sweep;
    sweep.nu = 0.6;
    sweep.limiter = limiter;
    check_kernel("MUSCL sweep, limiter " + std::to_string(limiter), sweep, GridSpec::rect(9, 6, {true, true}),
                 both_signs);
    solvers::advection::MusclSweep<2, 1, 1> back;
    back.nu = 0.4;
    back.limiter = limiter;
    check_kernel("MUSCL sweep y, limiter " + std::to_string(limiter), back, GridSpec::rect(6, 9, {true, true}),
                 both_signs);
  }
  {
    check_kernel("shallow-water update", undertow_test::sw_update(), GridSpec::rect(8, 7, {true, true}),
                 undertow_test::sw_sea);
    solvers::shallow_water::GaugeTerm gauge;
    check_kernel("shallow-water gauge term", gauge, GridSpec::rect(8, 7, {true, true}), undertow_test::sw_sea);
  }
}

TEST_CASE("local_gradient runs inside a Kokkos kernel with the host's results", "[kernel][local]") {
  using K = undertow_test::Diffusion<2>;
  const Bench<K> bench(K{}, grid_of(2), input_value);
  constexpr int G = local_gradient_size<K>();
  const Index3 n = bench.dec->owned_cells();
  const KernelData<K> data = bench.data;
  // Host: the sum of every g entry times a weight, over the owned cells.
  double host = 0;
  for (int i = 0; i < n[0]; ++i)
    for (int j = 0; j < n[1]; ++j) {
      const double out_bar[1] = {undertow::cos(0.7 * i + 1.3 * j)};
      double g[G];
      REQUIRE(local_gradient<256>(data, Index3{i, j, 0}, out_bar, g));
      for (int q = 0; q < G; ++q) host += g[q] * (q + 1);
    }
  double device = 0;
  Kokkos::parallel_reduce(
      "test::local_gradient", Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>({0, 0}, {n[0], n[1]}),
      KOKKOS_LAMBDA(int i, int j, double& acc) {
        const double out_bar[1] = {undertow::cos(0.7 * i + 1.3 * j)};
        double g[G];
        if (!local_gradient<256>(data, Index3{i, j, 0}, out_bar, g)) acc += 1e300;
        for (int q = 0; q < G; ++q) acc += g[q] * (q + 1);
      },
      device);
  CHECK(device == Approx(host).epsilon(1e-13));
}

/// The two inputs (u, kappa) of a BoxSmoother<2> test on `dec`, set by
/// input_value, ghosts exchanged.
std::array<Field<double>, 2> smoother_inputs(const std::shared_ptr<const Decomposition>& dec, int ghost) {
  std::array<Field<double>, 2> in{Field<double>(dec, "u", 1, ghost), Field<double>(dec, "k", 1, ghost)};
  for (int f = 0; f < 2; ++f) {
    set_by_global_index<double>(
        in[f], [&](int c, std::int64_t i, std::int64_t j, std::int64_t k) { return input_value(f, c, i, j, k); });
  }
  Halo(dec, HaloPattern::Box, ghost).exchange(in[0], in[1]);
  return in;
}

TEST_CASE("the local gather is bitwise the same for any team size", "[kernel][local]") {
  // Teams of one thread (host) and of several (devices; here up to the OpenMP
  // threads): each g(c) is computed alone and each cell sums in a fixed order.
  using K = undertow_test::BoxSmoother<2>;
  auto dec = Decomposition::create(GridSpec::rect(37, 29, {true, true}), MPI_COMM_SELF);
  const int ghost = 2;
  const std::array<Field<double>, 2> in = smoother_inputs(dec, ghost);
  std::array<Field<double>, 1> out{Field<double>(dec, "out", 1, ghost)};
  std::array<Field<double>, 1> out_bar{Field<double>(dec, "out_bar", 1, ghost)};
  fill_random(out_bar[0], 3);
  Halo(dec, HaloPattern::Box, ghost).exchange(out_bar[0]);
  const KernelApplication<K> app(K{}, in, out);
  std::array<Field<double>, 2> reference{in[0].clone_layout("u_bar"), in[1].clone_layout("k_bar")};
  app.adjoint(out_bar, reference, AdjointForm::Gather, LocalDerivative::Reverse);
  const int most = std::min(4, ExecSpace().concurrency());
  for (int team = 1; team <= most; ++team) {
    INFO("team size " << team);
    std::array<Field<double>, 2> bar{in[0].clone_layout("u_bar"), in[1].clone_layout("k_bar")};
    const detail::RowData<K> data = detail::make_row_data(K{}, in, out, bar, out_bar);
    detail::launch_local_gather_adjoint<K>(data, Index3{0, 0, 0}, dec->owned_cells(), team);
    for (int f = 0; f < 2; ++f) {
      const std::vector<double> a = gather_global(reference[f]), b = gather_global(bar[f]);
      CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
    }
  }
}

TEST_CASE("the row gather equals the local gather on rows of several blocks, with a passive input", "[kernel][local]") {
  // The seeded-forward gather sums a row in blocks of cells (detail::gather_block)
  // and adds them to the active inputs only; rows of 517 cells cross several
  // block edges at an odd offset, walls test the edge cells. The local gather
  // assembles the same derivative from tiles of g, another path.
  using K = undertow_test::BoxSmoother<2>;
  auto dec = Decomposition::create(GridSpec::rect(5, 517, {false, false}), MPI_COMM_SELF);
  const int ghost = 2;
  const std::array<Field<double>, 2> in = smoother_inputs(dec, ghost);
  std::array<Field<double>, 1> out{Field<double>(dec, "out", 1, ghost)};
  Halo halo(dec, HaloPattern::Box, ghost);
  const KernelApplication<K> app(K{}, in, out);
  auto check = [&](auto seeds_tag, bool kappa_active) {
    constexpr int M = decltype(seeds_tag)::value;
    INFO(M << " seed(s), coefficient " << (kappa_active ? "active" : "passive"));
    std::array<Field<double>, 1> out_bar{Field<double>(dec, "out_bar", M, ghost)};
    fill_random(out_bar[0], 11);
    halo.exchange(out_bar[0]);
    std::array<Field<double>, 2> rows, tiles;
    for (int f = 0; f < 2; ++f) {
      if (f == 1 && !kappa_active) continue;  // no adjoint field: a passive input
      rows[f] = Field<double>(dec, "rows_bar", M, ghost);
      tiles[f] = Field<double>(dec, "tiles_bar", M, ghost);
    }
    app.template adjoint<M>(out_bar, rows, AdjointForm::Gather, LocalDerivative::SeededForward);
    app.template adjoint<M>(out_bar, tiles, AdjointForm::Gather, LocalDerivative::Reverse);
    for (int f = 0; f < (kappa_active ? 2 : 1); ++f) {
      const double scale = std::max(1.0, max_abs(tiles[f]));
      CHECK(undertow_test::block_difference(rows[f], 0, tiles[f], /*owned_only=*/true) <= 1e-13 * scale);
      CHECK(max_abs(rows[f]) > 1e-3);  // something was gathered
    }
  };
  check(std::integral_constant<int, 1>{}, true);
  check(std::integral_constant<int, 1>{}, false);
  check(std::integral_constant<int, 4>{}, false);
}
