// Vector adjoints: M output-adjoint seeds in one call (KernelApplication::adjoint<M>,
// fields with M times the components, seed-major). Seed m's input adjoint must
// equal a scalar adjoint seeded with seed m alone, in every assembly form and
// local derivative, with passive inputs, on a tape that overflows, at 1-4 ranks.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "kernel/sw_update_case.hpp"
#include "program/test_kernels.hpp"
#include "test_util.hpp"

using namespace undertow;

namespace {

/// Upwind Burgers with a 4-statement tape: every local reverse overflows and
/// takes the seeded forward fallback.
struct TinyTapeBurgers : undertow_test::UpwindBurgers<2> {
  static constexpr int tape_capacity = 4;
};

template <int M, class K, class Value>
void check_seeds(const std::string& name, const K& kernel, const GridSpec& grid, Value value,
                 std::array<bool, K::num_inputs> active) {
  constexpr int NI = K::num_inputs, NO = K::num_outputs;
  auto dec = Decomposition::create(grid, MPI_COMM_WORLD);
  const int ghost = std::max(1, 2 * K::stencil.radius);
  std::array<Field<double>, NI> in;
  std::array<Field<double>, NO> out, seeds;
  Halo halo(dec, HaloPattern::Box, ghost);
  for (int f = 0; f < NI; ++f) {
    in[f] = Field<double>(dec, "in" + std::to_string(f), K::input_components(f), ghost);
    set_by_global_index<double>(
        in[f], [&](int c, std::int64_t i, std::int64_t j, std::int64_t k) { return value(f, c, i, j, k); });
    halo.exchange(in[f]);
  }
  for (int f = 0; f < NO; ++f) {
    out[f] = Field<double>(dec, "out" + std::to_string(f), K::output_components(f), ghost);
    seeds[f] = Field<double>(dec, "seeds" + std::to_string(f), M * K::output_components(f), ghost);
    fill_random(seeds[f], 40 + static_cast<std::uint64_t>(f));
    halo.exchange(seeds[f]);
  }
  const KernelApplication<K> app(kernel, in, out);
  const std::pair<AdjointForm, LocalDerivative> forms[] = {{AdjointForm::Gather, LocalDerivative::Reverse},
                                                           {AdjointForm::Gather, LocalDerivative::SeededForward},
                                                           {AdjointForm::ScatterAtomic, LocalDerivative::Automatic},
                                                           {AdjointForm::ScatterColoured, LocalDerivative::Automatic}};
  for (const auto& [form, method] : forms) {
    INFO(name << ", M = " << M << ", " << to_string(form) << ", " << to_string(method));
    std::array<Field<double>, NI> vector_bar;
    for (int f = 0; f < NI; ++f) {
      if (active[f]) vector_bar[f] = Field<double>(dec, "vector_bar", M * K::input_components(f), ghost);
    }
    app.template adjoint<M>(seeds, vector_bar, form, method);
    // Atomics add in any order: the same sums to round-off, not bitwise.
    const double tolerance = form == AdjointForm::ScatterAtomic ? 1e-13 : 0.0;
    bool same = true;
    for (int m = 0; m < M; ++m) {
      std::array<Field<double>, NO> seed;
      for (int f = 0; f < NO; ++f) {
        seed[f] = out[f].clone_layout("seed");
        undertow_test::copy_components(seeds[f], m * K::output_components(f), seed[f], 0, K::output_components(f));
      }
      std::array<Field<double>, NI> bar;
      for (int f = 0; f < NI; ++f) {
        if (active[f]) bar[f] = in[f].clone_layout("bar");
      }
      app.adjoint(seed, bar, form, method);
      for (int f = 0; f < NI; ++f) {
        if (!active[f]) continue;
        const double scale = std::max(1.0, max_abs(bar[f]));
        same = same && undertow_test::block_difference(vector_bar[f], m * K::input_components(f), bar[f],
                                                       /*owned_only=*/false) <= tolerance * scale;
      }
    }
    CHECK(undertow_test::all_ranks(same));
  }
}

template <class K, class Value>
void check_kernel(const std::string& name, const K& kernel, const GridSpec& grid, Value value,
                  std::array<bool, K::num_inputs> active) {
  check_seeds<2>(name, kernel, grid, value, active);
  check_seeds<4>(name, kernel, grid, value, active);
}

double smooth(int f, int c, std::int64_t i, std::int64_t j, std::int64_t k) {
  const double x = 0.37 * double(i) + 0.11 * double(j) - 0.23 * double(k) + 0.5 * f + 0.3 * c;
  return 0.4 * std::sin(x) + 0.2 * std::cos(1.7 * x + 0.4) + (f == 1 ? 1.5 : 0.0);
}

}  // namespace

TEST_CASE("vector adjoints equal one scalar adjoint per seed on the test kernels", "[kernel][vector]") {
  const int n = undertow_test::world_size();
  check_kernel("Burgers, periodic", undertow_test::UpwindBurgers<2>{}, GridSpec::rect(8 + 3 * n, 9, {true, true}),
               smooth, {true, true});
  check_kernel("Burgers, walls", undertow_test::UpwindBurgers<2>{}, GridSpec::rect(8 + 3 * n, 9, {false, false}),
               smooth, {true, true});
  check_kernel("Burgers, passive coefficient", undertow_test::UpwindBurgers<2>{},
               GridSpec::rect(8 + 3 * n, 9, {false, true}), smooth, {true, false});
  check_kernel("Burgers, overflowing tape", TinyTapeBurgers{}, GridSpec::rect(8 + 3 * n, 9, {true, false}), smooth,
               {true, true});
  check_kernel("box smoother 3D", undertow_test::BoxSmoother<3>{}, GridSpec::box(6 + 2 * n, 5, 6, {true, false, true}),
               smooth, {true, true});
}

TEST_CASE("vector adjoints equal one scalar adjoint per seed on the shallow-water update", "[kernel][vector]") {
  using Update = solvers::shallow_water::Update;
  const int n = undertow_test::world_size();
  std::array<bool, Update::num_inputs> active;
  active.fill(true);
  active.back() = false;  // the land mask is data
  check_kernel("shallow-water update", undertow_test::sw_update(), GridSpec::rect(6 + 3 * n, 7, {true, true}),
               undertow_test::sw_sea, active);
}

TEST_CASE("vector adjoint fields of the wrong size are refused", "[kernel][vector][errors]") {
  using K = undertow_test::UpwindBurgers<2>;
  auto dec = Decomposition::create(GridSpec::rect(12, 9, {true, true}), MPI_COMM_WORLD);
  std::array<Field<double>, 2> in{Field<double>(dec, "u", 1, 2), Field<double>(dec, "k", 1, 2)};
  std::array<Field<double>, 1> out{Field<double>(dec, "out", 1, 2)};
  const KernelApplication<K> app(K{}, in, out);
  std::array<Field<double>, 1> seeds{Field<double>(dec, "seeds", 4, 2)};
  std::array<Field<double>, 2> bars{Field<double>(dec, "u_bar", 2, 2), Field<double>(dec, "k_bar", 4, 2)};
  CHECK_THROWS_WITH(app.adjoint<4>(seeds, bars, AdjointForm::Gather),
                    Catch::Matchers::Contains("input adjoint for 'u' must have the layout of 'u' with 4 component(s)"));
}
