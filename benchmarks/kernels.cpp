// bench_kernels: cost of a kernel's derivatives against the kernel itself, the
// library's KernelApplication being the product measured.
//
// For four kernels -- 2D heat with a conductivity field (linear in u), 2D upwind
// Burgers (nonlinear, branches), 3D 7-point heat (linear), and the shallow-water
// solver's update (3 components, Rusanov fluxes, coastline walls; the flagship's
// kernel, shallow_water_hand.hpp) -- on a periodic grid whose working set is well
// above the last-level cache, one run measures, with the variants interleaved (so
// that load from other jobs hits all of them alike):
//   primal (KernelApplication::forward) and a hand-written primal,
//   tangent<1> and tangent<4>,
//   adjoint in each assembly form (gather, scatter-atomic, scatter-coloured),
//   a hand-written gather adjoint of the same kernel (the practical limit; like
//   the library it computes the adjoint of every input),
//   for Burgers, the library on a branch-free formulation of the same kernel
//   (Burgers2DBranchFree: what the branch on the sign of u costs),
//   a STREAM triad on the case's own arrays (interleaved: the bandwidth
//   reference of the same moment), besides bench_common's triad at the start,
// and, on a smaller grid (--adolc-2d/3d: the tape must fit in memory), ADOL-C
// taping + reversing the same step against the library and hand-written adjoints.
//
// Checks first, on a small grid: every adjoint variant (and ADOL-C) against the
// gather adjoint (scatter forms after the transposed exchange), the tangents by
// the dot-product test against it, the hand-written primal against the library's
// (column `check`, a relative difference). A check above 1e-10 fails the run
// (exit 1): a wrong hand-written or library derivative is never just a number.
// ADOL-C is not run on the shallow-water kernel.
//
//   mpirun -n 2 bench_kernels [--small] [--kernels heat2d,burgers2d,heat3d,shallow_water]
//                             [--only gather,hand] [--json out.json]
//
// Columns: Mcell/s = owned cells over all ranks / median time; GB/s counts the
// compulsory traffic the STREAM way (each array read once + each array written
// once, no write-allocate), so it compares with triad GB/s; traffic_x is that
// compulsory traffic relative to the primal's: the ratio a bandwidth-bound
// implementation would reach; of_triad = GB/s / bench_common's triad.

#include <Kokkos_Core.hpp>
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

// ADOL-C is a CPU tool: a kernel body (host and device code) instantiated on its
// adouble is host-only code, which device builds (CUDA, HIP, SYCL) reject. There
// the benchmark runs without the ADOL-C reference.
#if defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP) || defined(KOKKOS_ENABLE_SYCL)
#define UNDERTOW_BENCH_ADOLC 0
#else
#define UNDERTOW_BENCH_ADOLC 1
#endif

// Order matters: the kernels (kernel_cases.hpp) call the qualified undertow::sqrt,
// so its adouble overload (kernel_adolc.hpp) must be declared before them.
// clang-format off
#if UNDERTOW_BENCH_ADOLC
#include "kernel_adolc.hpp"
#endif
#include "kernel_cases.hpp"
#include "shallow_water_hand.hpp"
// clang-format on
#include "bench_common.hpp"
#include "undertow/undertow.hpp"

namespace {

using namespace undertow;
using namespace undertow::bench;

// ---------------------------------------------------------------------------
// Set-up: fields by global index (periodic wrap, ghosts included)
// ---------------------------------------------------------------------------

KOKKOS_INLINE_FUNCTION double noise(std::uint64_t seed, std::int64_t i, std::int64_t j, std::int64_t k) {
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull ^ (static_cast<std::uint64_t>(i) * 0xBF58476D1CE4E5B9ull) ^
                    (static_cast<std::uint64_t>(j) * 0x94D049BB133111EBull) ^ static_cast<std::uint64_t>(k);
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

enum class Profile { State, Coefficient, Noise };

/// Every local cell (ghosts too) gets a value of its global cell (wrapped), so the
/// ghosts hold exactly what an exchange would put there. Component c of a
/// Noise field uses seed + c.
void fill(const Field<double>& f, Profile profile, std::uint64_t seed) {
  const Decomposition& dec = f.decomposition();
  const auto view = f.view();
  std::int64_t lo[3], n[3];
  int g[3];
  for (int d = 0; d < 3; ++d) {
    lo[d] = dec.owned_lo()[d];
    n[d] = dec.grid().cells[d];
    g[d] = f.ghost(d);
  }
  const double two_pi = 6.283185307179586;
  Kokkos::parallel_for(
      "bench::fill",
      Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<4>>(
          {0, 0, 0, 0}, {view.extent(0), view.extent(1), view.extent(2), view.extent(3)}),
      KOKKOS_LAMBDA(int c, int i, int j, int k) {
        const int local[3] = {i, j, k};
        std::int64_t gi[3];
        for (int d = 0; d < 3; ++d) gi[d] = ((lo[d] + local[d] - g[d]) % n[d] + n[d]) % n[d];
        const double x = double(gi[0]) / n[0], y = double(gi[1]) / n[1], z = double(gi[2]) / n[2];
        double v = 0.0;
        switch (profile) {
          case Profile::State:
            v = 0.5 * undertow::sin(two_pi * (3 * x + 2 * y + z)) + 0.1 + 0.05 * noise(seed, gi[0], gi[1], gi[2]);
            break;
          case Profile::Coefficient:
            v = 1.0 + 0.3 * undertow::cos(two_pi * (x - 2 * y + z));
            break;
          case Profile::Noise:
            v = noise(seed + c, gi[0], gi[1], gi[2]);
            break;
        }
        view(c, i, j, k) = v;
      });
}

/// max over owned cells of |a(ca) - b(cb)|, and max |b(cb)|, over all ranks.
std::pair<double, double> max_difference(const Field<double>& a, int ca, const Field<double>& b, int cb) {
  const Box o = a.owned_box();
  const auto va = a.view(), vb = b.view();
  double diff = 0, scale = 0;
  const auto policy =
      Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>({o.lo[0], o.lo[1], o.lo[2]}, {o.hi[0], o.hi[1], o.hi[2]});
  Kokkos::parallel_reduce(
      "bench::max_diff", policy,
      KOKKOS_LAMBDA(int i, int j, int k, double& m) {
        const double d = undertow::fabs(va(ca, i, j, k) - vb(cb, i, j, k));
        m = d > m ? d : m;
      },
      Kokkos::Max<double>(diff));
  Kokkos::parallel_reduce(
      "bench::max_abs", policy,
      KOKKOS_LAMBDA(int i, int j, int k, double& m) {
        const double d = undertow::fabs(vb(cb, i, j, k));
        m = d > m ? d : m;
      },
      Kokkos::Max<double>(scale));
  double local[2] = {diff, scale}, global[2] = {0, 0};
  check_mpi(MPI_Allreduce(local, global, 2, MPI_DOUBLE, MPI_MAX, a.decomposition().comm()), "MPI_Allreduce");
  return {global[0], global[1]};
}

/// Sum over owned cells of a(ca) * b(cb), over all ranks.
double owned_dot(const Field<double>& a, int ca, const Field<double>& b, int cb) {
  const Box o = a.owned_box();
  const auto va = a.view(), vb = b.view();
  double s = 0;
  Kokkos::parallel_reduce(
      "bench::dot",
      Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>({o.lo[0], o.lo[1], o.lo[2]}, {o.hi[0], o.hi[1], o.hi[2]}),
      KOKKOS_LAMBDA(int i, int j, int k, double& acc) { acc += va(ca, i, j, k) * vb(cb, i, j, k); }, s);
  double global = 0;
  check_mpi(MPI_Allreduce(&s, &global, 1, MPI_DOUBLE, MPI_SUM, a.decomposition().comm()), "MPI_Allreduce");
  return global;
}

// ---------------------------------------------------------------------------
// One kernel on one grid: fields and every variant
// ---------------------------------------------------------------------------

template <class K>
struct Traits;

/// Doubles per cell over all inputs / outputs (components counted).
template <class K>
constexpr double input_doubles() {
  double n = 0;
  for (int f = 0; f < K::num_inputs; ++f) n += K::input_components(f);
  return n;
}
template <class K>
constexpr double output_doubles() {
  double n = 0;
  for (int f = 0; f < K::num_outputs; ++f) n += K::output_components(f);
  return n;
}

/// The inputs of the one-component kernels: a state, then coefficients.
void fill_state_then_coefficients(const Field<double>& f, int input) {
  fill(f, input == 0 ? Profile::State : Profile::Coefficient, 11 + input);
}

template <class K>
struct Setup {
  static constexpr int NI = K::num_inputs, NO = K::num_outputs;
  using In = std::array<Field<double>, NI>;
  using Out = std::array<Field<double>, NO>;

  K kernel;
  std::shared_ptr<const Decomposition> dec;
  In in, in_bar, in_dot1, in_dot4, in_bar4;
  Out out, out_bar, out_dot1, out_dot4, out_bar4;  // *_bar4: 4 adjoint seeds, seed 0 = *_bar
  std::unique_ptr<KernelApplication<K>> app;
  std::unique_ptr<Halo> halo;  // for the transposed exchange after scatter-type adjoints (checks)
  std::int64_t cells = 0;

  Setup(MPI_Comm comm, const GridSpec& grid, const K& k, bool tangents) : kernel(k) {
    dec = Decomposition::create(grid, comm);
    const int ghost = KernelApplication<K>::gather_input_ghost();
    cells = grid.cells[0] * grid.cells[1] * grid.cells[2];
    for (int f = 0; f < NI; ++f) {
      const std::string name = "in" + std::to_string(f);
      const int nc = K::input_components(f);
      in[f] = Field<double>(dec, name, nc, ghost);
      Traits<K>::fill_input(in[f], f);
      in_bar[f] = Field<double>(dec, name + "_bar", nc, ghost);
      if (tangents) {
        in_dot1[f] = Field<double>(dec, name + "_dot1", nc, ghost);
        fill(in_dot1[f], Profile::Noise, 100 + 10 * f);
        in_dot4[f] = Field<double>(dec, name + "_dot4", 4 * nc, ghost);
        fill(in_dot4[f], Profile::Noise, 100 + 10 * f);  // direction 0 = in_dot1
        in_bar4[f] = Field<double>(dec, name + "_bar4", 4 * nc, ghost);
      }
    }
    for (int f = 0; f < NO; ++f) {
      const std::string name = "out" + std::to_string(f);
      const int nc = K::output_components(f);
      out[f] = Field<double>(dec, name, nc, ghost);
      out_bar[f] = Field<double>(dec, name + "_bar", nc, ghost);
      fill(out_bar[f], Profile::Noise, 200 + f);
      if (tangents) {
        out_dot1[f] = Field<double>(dec, name + "_dot1", nc, ghost);
        out_dot4[f] = Field<double>(dec, name + "_dot4", 4 * nc, ghost);
        out_bar4[f] = Field<double>(dec, name + "_bar4", 4 * nc, ghost);
        fill(out_bar4[f], Profile::Noise, 200 + f);  // seed 0 = out_bar
      }
    }
    app = std::make_unique<KernelApplication<K>>(kernel, in, out);
    halo = std::make_unique<Halo>(dec, HaloPattern::Box, ghost);
  }

  /// STREAM triad in_bar[0] = in[0] + 3 out_bar[0] over the whole arrays: the
  /// bandwidth reference measured interleaved with the variants, on their fields.
  void triad() {
    const std::int64_t n = static_cast<std::int64_t>(in[0].view().span());
    double* a = in_bar[0].view().data();
    const double* b = in[0].view().data();
    const double* c = out_bar[0].view().data();
    Kokkos::parallel_for(
        "bench::triad_same_fields", Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(0, n),
        KOKKOS_LAMBDA(std::int64_t i) { a[i] = b[i] + 3.0 * c[i]; });
  }
  /// Triad bytes per owned cell (the arrays include ghosts).
  double triad_bytes() const { return 24.0 * double(in[0].view().span()) / double(dec->owned_total()); }

  void zero_adjoints() {
    for (auto& f : in_bar) fill_all(f, 0.0);
    for (auto& f : in_bar4) {
      if (f.valid()) fill_all(f, 0.0);
    }
  }
  /// Seed 0 of the vector adjoint into in_bar (for the checks).
  void take_seed0() {
    for (int f = 0; f < NI; ++f) {
      Kokkos::deep_copy(in_bar[f].view(), Kokkos::subview(in_bar4[f].view(), std::make_pair(0, K::input_components(f)),
                                                          Kokkos::ALL, Kokkos::ALL, Kokkos::ALL));
    }
  }
  void fold_ghosts() {
    for (auto& f : in_bar) halo->exchange_adjoint(f);
  }
};

/// One measured variant. `bytes` is the compulsory traffic per cell (STREAM
/// counting); `adjoint` variants (every input's adjoint) are checked against the
/// gather adjoint, with `scatter` ones folded by the transposed exchange first.
template <class K>
struct Variant {
  std::string name;
  std::function<void(Setup<K>&)> run;
  double bytes = 0;
  enum class Kind { Primal, Tangent1, Tangent4, Adjoint, ScatterAdjoint, Adjoint4, Reference } kind = Kind::Primal;
  int seeds = 1;  // time and traffic are printed per seed
};

template <>
struct Traits<Heat2D> {
  static Heat2D kernel() { return {}; }
  static constexpr const char* name = "heat2d";
  static constexpr bool linear = true;
  static constexpr bool adolc = true;
  static void fill_input(const Field<double>& f, int input) { fill_state_then_coefficients(f, input); }
  static GridSpec grid(std::int64_t n) { return GridSpec::rect(n, n, {true, true}); }
  static void hand_primal(Setup<Heat2D>& s) { heat2d_hand_primal(s.kernel, s.in[0], s.in[1], s.out[0]); }
  static void hand_adjoint(Setup<Heat2D>& s) {
    heat2d_hand_adjoint(s.kernel, s.in[0], s.in[1], s.out_bar[0], s.in_bar[0], s.in_bar[1]);
  }
  static std::vector<Variant<Heat2D>> extra() { return {}; }
};

template <>
struct Traits<Burgers2D> {
  static Burgers2D kernel() { return {}; }
  static constexpr const char* name = "burgers2d";
  static constexpr bool linear = false;
  static constexpr bool adolc = true;
  static void fill_input(const Field<double>& f, int input) { fill_state_then_coefficients(f, input); }
  static GridSpec grid(std::int64_t n) { return GridSpec::rect(n, n, {true, true}); }
  static void hand_primal(Setup<Burgers2D>& s) { burgers2d_hand_primal(s.kernel, s.in[0], s.in[1], s.out[0]); }
  static void hand_adjoint(Setup<Burgers2D>& s) {
    burgers2d_hand_adjoint(s.kernel, s.in[0], s.in[1], s.out_bar[0], s.in_bar[0], s.in_bar[1]);
  }
  /// The library on the branch-free formulation of the hand-written code
  /// (Burgers2DBranchFree): what the branch on the sign of u costs.
  static std::vector<Variant<Burgers2D>> extra() {
    using V = Variant<Burgers2D>;
    auto app = [](Setup<Burgers2D>& s) { return KernelApplication<Burgers2DBranchFree>({}, s.in, s.out); };
    return {
        {"primal, branch-free kernel", [app](Setup<Burgers2D>& s) { app(s).forward(); }, 8 * 3.0, V::Kind::Primal},
        {"tangent N=1, branch-free kernel",
         [app](Setup<Burgers2D>& s) { app(s).template tangent<1>(s.in_dot1, s.out_dot1); }, 8 * 6.0, V::Kind::Tangent1},
        {"adjoint gather, branch-free kernel",
         [app](Setup<Burgers2D>& s) { app(s).adjoint(s.out_bar, s.in_bar, AdjointForm::Gather); }, 8 * 7.0,
         V::Kind::Adjoint}};
  }
};

template <>
struct Traits<Heat3D> {
  static Heat3D kernel() { return {}; }
  static constexpr const char* name = "heat3d";
  static constexpr bool linear = true;
  static constexpr bool adolc = true;
  static void fill_input(const Field<double>& f, int input) { fill_state_then_coefficients(f, input); }
  static GridSpec grid(std::int64_t n) { return GridSpec::box(n, n, n, {true, true, true}); }
  static void hand_primal(Setup<Heat3D>& s) { heat3d_hand_primal(s.kernel, s.in[0], s.out[0]); }
  static void hand_adjoint(Setup<Heat3D>& s) { heat3d_hand_adjoint(s.kernel, s.out_bar[0], s.in_bar[0]); }
  static std::vector<Variant<Heat3D>> extra() { return {}; }
};

/// The shallow-water update (3 state components, bed, water mask): a wavy sea
/// about 10 m deep with currents, over a rough bed, around a square island whose
/// coast makes wall faces. ADOL-C is not run on it (its body reads the mask with
/// undertow::value, which has no adouble overload).
template <>
struct Traits<ShallowWater> {
  static constexpr const char* name = "shallow_water";
  static constexpr bool linear = false;
  static constexpr bool adolc = false;
  static ShallowWater kernel() {
    ShallowWater k;
    k.dt_over_dx = 0.002;  // CFL about 0.02 at 10 m depth
    k.dt_over_dy = 0.002;
    k.smoothing = 0.01;
    return k;
  }
  static GridSpec grid(std::int64_t n) { return GridSpec::rect(n, n, {true, true}); }
  static void fill_input(const Field<double>& f, int input) {
    const Decomposition& dec = f.decomposition();
    const auto view = f.view();
    std::int64_t lo[2], n[2];
    int g[2];
    for (int d = 0; d < 2; ++d) {
      lo[d] = dec.owned_lo()[d];
      n[d] = dec.grid().cells[d];
      g[d] = f.ghost(d);
    }
    const double two_pi = 6.283185307179586;
    Kokkos::parallel_for(
        "bench::fill_shallow_water",
        Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>({0, 0, 0}, {view.extent(0), view.extent(1), view.extent(2)}),
        KOKKOS_LAMBDA(int c, int i, int j) {
          const std::int64_t gi = ((lo[0] + i - g[0]) % n[0] + n[0]) % n[0];
          const std::int64_t gj = ((lo[1] + j - g[1]) % n[1] + n[1]) % n[1];
          const double x = double(gi) / n[0], y = double(gj) / n[1];
          double v = 0.0;
          if (input == 0 && c == 0) v = 10.0 + undertow::sin(two_pi * (2 * x + y)) + 0.05 * noise(31, gi, gj, 0);
          if (input == 0 && c == 1) v = 3.0 * undertow::cos(two_pi * (x - y)) + 0.1 * noise(32, gi, gj, 0);
          if (input == 0 && c == 2) v = 2.0 * undertow::sin(two_pi * (x + 3 * y)) + 0.1 * noise(33, gi, gj, 0);
          if (input == 1) v = -0.5 * undertow::cos(two_pi * (3 * x - y)) + 0.05 * noise(34, gi, gj, 0);
          if (input == 2) v = (x > 0.4 && x < 0.6 && y > 0.3 && y < 0.5) ? 0.0 : 1.0;  // the island is land
          view(c, i, j, 0) = v;
        });
  }
  static void hand_primal(Setup<ShallowWater>& s) {
    shallow_water_hand_primal(s.kernel, s.in[0], s.in[1], s.in[2], s.out[0]);
  }
  static void hand_adjoint(Setup<ShallowWater>& s) {
    shallow_water_hand_adjoint(s.kernel, s.in[0], s.in[1], s.in[2], s.out_bar[0], s.in_bar[0], s.in_bar[1]);
  }
  static std::vector<Variant<ShallowWater>> extra() { return {}; }
};

/// Every variant, in the order they are timed (interleaved) and printed.
template <class K>
std::vector<Variant<K>> variants() {
  using V = Variant<K>;
  using Kind = typename V::Kind;
  constexpr double NI = input_doubles<K>(), NO = output_doubles<K>();
  const double primal = 8 * (NI + NO);
  const double adjoint = 8 * (NI + NO + 2 * NI);  // inputs, out_bar, in_bar read and written
  auto tangent = [&](int n) { return 8 * (NI + NO) * (1 + n); };
  std::vector<V> v = {
      {"primal", [](Setup<K>& s) { s.app->forward(); }, primal, Kind::Primal},
      {"triad (same fields)", [](Setup<K>& s) { s.triad(); }, 0.0, Kind::Reference},
      {"primal hand", [](Setup<K>& s) { Traits<K>::hand_primal(s); }, primal, Kind::Primal},
      {"tangent N=1", [](Setup<K>& s) { s.app->template tangent<1>(s.in_dot1, s.out_dot1); }, tangent(1),
       Kind::Tangent1},
      {"tangent N=4", [](Setup<K>& s) { s.app->template tangent<4>(s.in_dot4, s.out_dot4); }, tangent(4),
       Kind::Tangent4},
      {"adjoint gather", [](Setup<K>& s) { s.app->adjoint(s.out_bar, s.in_bar, AdjointForm::Gather); }, adjoint,
       Kind::Adjoint},
      {"adjoint gather local reverse",
       [](Setup<K>& s) { s.app->adjoint(s.out_bar, s.in_bar, AdjointForm::Gather, LocalDerivative::Reverse); }, adjoint,
       Kind::Adjoint},
      {"adjoint gather local reverse, 4 seeds (per seed)",
       [](Setup<K>& s) {
         s.app->template adjoint<4>(s.out_bar4, s.in_bar4, AdjointForm::Gather, LocalDerivative::Reverse);
       },
       8 * (NI + 4 * NO + 2 * 4 * NI) / 4, Kind::Adjoint4, 4},
      {"adjoint gather seeded forward",
       [](Setup<K>& s) { s.app->adjoint(s.out_bar, s.in_bar, AdjointForm::Gather, LocalDerivative::SeededForward); },
       adjoint, Kind::Adjoint},
      {"adjoint gather seeded forward, 4 seeds (per seed)",
       [](Setup<K>& s) {
         s.app->template adjoint<4>(s.out_bar4, s.in_bar4, AdjointForm::Gather, LocalDerivative::SeededForward);
       },
       8 * (NI + 4 * NO + 2 * 4 * NI) / 4, Kind::Adjoint4, 4},
      {"adjoint scatter-atomic", [](Setup<K>& s) { s.app->adjoint(s.out_bar, s.in_bar, AdjointForm::ScatterAtomic); },
       adjoint, Kind::ScatterAdjoint},
      {"adjoint scatter-coloured",
       [](Setup<K>& s) { s.app->adjoint(s.out_bar, s.in_bar, AdjointForm::ScatterColoured); }, adjoint,
       Kind::ScatterAdjoint},
      {"adjoint hand", [](Setup<K>& s) { Traits<K>::hand_adjoint(s); }, adjoint, Kind::Adjoint},
  };
  for (V& e : Traits<K>::extra()) v.push_back(std::move(e));
  return v;
}

/// Relative check of each variant on a small grid (see the header comment).
template <class K>
std::vector<double> check_variants(MPI_Comm comm, const K& kernel, std::int64_t n, const std::vector<Variant<K>>& vs,
                                   double& adolc_check) {
  using Kind = typename Variant<K>::Kind;
  Setup<K> s(comm, Traits<K>::grid(n), kernel, true);
  // Reference: the gather adjoint.
  s.zero_adjoints();
  s.app->adjoint(s.out_bar, s.in_bar, AdjointForm::Gather);
  std::array<Field<double>, K::num_inputs> reference;
  for (int f = 0; f < K::num_inputs; ++f) reference[f] = s.in_bar[f].clone("reference");
  auto compare_adjoint = [&] {
    double worst = 0;
    for (int f = 0; f < K::num_inputs; ++f) {
      for (int c = 0; c < K::input_components(f); ++c) {
        const auto [diff, scale] = max_difference(s.in_bar[f], c, reference[f], c);
        if (scale > 0 || diff > 0) worst = std::max(worst, diff / scale);  // a passive input: 0 and 0
      }
    }
    return worst;
  };
  // <J v, w> from the tangent against <v, J^T w> from the reference adjoint.
  double adjoint_side = 0;
  for (int f = 0; f < K::num_inputs; ++f) {
    for (int c = 0; c < K::input_components(f); ++c) adjoint_side += owned_dot(s.in_dot1[f], c, reference[f], c);
  }
  std::vector<double> result;
  for (const auto& v : vs) {
    double r = -1;  // no check
    switch (v.kind) {
      case Kind::Primal: {
        if (v.name == "primal") break;
        s.app->forward();
        const Field<double> ref = s.out[0].clone("ref");
        v.run(s);
        r = 0;
        for (int c = 0; c < K::output_components(0); ++c) {
          const auto [diff, scale] = max_difference(s.out[0], c, ref, c);
          r = std::max(r, diff / scale);
        }
        break;
      }
      case Kind::Tangent1:
      case Kind::Tangent4: {
        v.run(s);
        const Field<double>& t = v.kind == Kind::Tangent1 ? s.out_dot1[0] : s.out_dot4[0];
        double tangent_side = 0;  // direction 0 of tangent<4> is the tangent<1> direction
        for (int c = 0; c < K::output_components(0); ++c) tangent_side += owned_dot(t, c, s.out_bar[0], c);
        r = std::abs(tangent_side - adjoint_side) / std::abs(adjoint_side);
        break;
      }
      case Kind::Reference:
        break;
      case Kind::Adjoint:
      case Kind::ScatterAdjoint:
      case Kind::Adjoint4:
        s.zero_adjoints();
        v.run(s);
        if (v.kind == Kind::ScatterAdjoint) s.fold_ghosts();
        if (v.kind == Kind::Adjoint4) s.take_seed0();
        r = compare_adjoint();
        break;
    }
    result.push_back(r);
  }
  adolc_check = -1;
#if UNDERTOW_BENCH_ADOLC
  if constexpr (Traits<K>::adolc) {
    AdolcStep<K> adolc(s.kernel, s.in, s.out, next_adolc_tag());
    s.zero_adjoints();
    adolc.tape_and_reverse(s.out_bar, s.in_bar);
    s.fold_ghosts();
    adolc_check = compare_adjoint();
  }
#endif
  return result;
}

struct Config {
  std::int64_t size_2d = 8192, size_3d = 432;
  std::int64_t size_shallow_water = 3072;  // 56 doubles per cell with every variant's fields
  std::int64_t adolc_2d = 512, adolc_3d = 64;
  std::int64_t check_2d = 40, check_3d = 14;
  bool adolc = true;
  std::vector<std::string> only;  // time only variants containing one of these (and the primal)
};

std::string scientific(double x) {
  std::ostringstream os;
  os << std::scientific << std::setprecision(1) << x;
  return os.str();
}

template <class K>
std::size_t index_of(const std::vector<Variant<K>>& vs, const std::string& name) {
  for (std::size_t i = 0; i < vs.size(); ++i)
    if (vs[i].name == name) return i;
  throw Error("bench_kernels: no variant '" + name + "'");
}

/// Cells per dimension of the big grid of kernel K.
template <class K>
std::int64_t big_grid_size(const Config& config) {
  if (std::is_same<K, ShallowWater>::value) return config.size_shallow_water;
  return K::stencil.dim == 2 ? config.size_2d : config.size_3d;
}

std::string grid_label(int dim, std::int64_t n) {
  return dim == 2 ? std::to_string(n) + "^2" : std::to_string(n) + "^3";
}

/// Every check must agree to this relative difference: a larger one means a wrong
/// hand-written or library derivative, and the benchmark fails (its smoke test too).
constexpr double check_tolerance = 1e-10;

/// Returns the worst check of the case (relative differences, see check_variants).
template <class K>
double run_case(const Environment& env, const CommonOptions& options, const Config& config, const TriadResult& triad,
                Table& table, Table& targets) {
  const MPI_Comm world = env.world();
  const K kernel = Traits<K>::kernel();
  const int dim = K::stencil.dim;
  const std::string name = Traits<K>::name;
  const std::vector<Variant<K>> vs = variants<K>();

  double adolc_check = 0;
  const std::vector<double> checks =
      check_variants<K>(world, kernel, dim == 2 ? config.check_2d : config.check_3d, vs, adolc_check);
  double worst_check = adolc_check;
  for (double c : checks) worst_check = std::max(worst_check, c);
  if (!(worst_check <= check_tolerance)) {
    std::ostringstream os;
    os << name << ": CHECK FAILED: a variant differs from the gather adjoint (or the library primal) by "
       << std::scientific << std::setprecision(2) << worst_check << " > " << check_tolerance;
    for (std::size_t i = 0; i < vs.size(); ++i) {
      if (checks[i] > check_tolerance) os << "\n  " << vs[i].name << ": " << checks[i];
    }
    if (adolc_check > check_tolerance) os << "\n  ADOL-C: " << adolc_check;
    root_print(world, os.str());
  }

  auto add = [&](const std::string& grid, const std::string& variant, double seconds, std::int64_t cells, double bytes,
                 double primal_seconds, double primal_bytes, double check) {
    const double gbs = bytes > 0 ? bytes * double(cells) / seconds * 1e-9 : 0.0;
    table.add_row({{"kernel", name},
                   {"grid", grid},
                   {"ranks", env.size()},
                   {"thr", env.threads()},
                   {"variant", variant},
                   {"ms", seconds * 1e3},
                   {"Mcell/s", double(cells) / seconds * 1e-6},
                   {"GB/s", gbs},
                   {"x_primal", seconds / primal_seconds},
                   {"traffic_x", bytes > 0 ? bytes / primal_bytes : 0.0},
                   {"of_triad", triad.gb_per_s > 0 ? gbs / triad.gb_per_s : 0.0},
                   {"check", check >= 0 ? scientific(check) : std::string("-")}});
  };

  // ADOL-C on a grid it can tape in memory, against the library on the same grid.
  double adolc_vs_gather = 0, adolc_vs_hand = 0;
#if UNDERTOW_BENCH_ADOLC
  if constexpr (Traits<K>::adolc) {
    if (config.adolc) {
      const std::int64_t n = dim == 2 ? config.adolc_2d : config.adolc_3d;
      Setup<K> s(world, Traits<K>::grid(n), kernel, false);
      AdolcStep<K> adolc(s.kernel, s.in, s.out, next_adolc_tag());
      adolc.size_buffers();
      CommonOptions o = options;
      o.batch = 1;
      o.warmup = 1;
      o.repetitions = std::max(options.repetitions, 5);
      const std::vector<Timing> t = time_interleaved(
          world, o,
          {[&] { s.app->forward(); }, [&] { s.app->adjoint(s.out_bar, s.in_bar, AdjointForm::Gather); },
           [&] { Traits<K>::hand_adjoint(s); }, [&] { adolc.tape_and_reverse(s.out_bar, s.in_bar); }});
      const std::string grid = grid_label(dim, n);
      const double primal_bytes = 8.0 * (input_doubles<K>() + output_doubles<K>());
      const double adjoint_bytes = 8.0 * (3 * input_doubles<K>() + output_doubles<K>());
      add(grid, "primal", t[0].median, s.cells, primal_bytes, t[0].median, primal_bytes, -1);
      add(grid, "adjoint gather", t[1].median, s.cells, adjoint_bytes, t[0].median, primal_bytes,
          checks[index_of(vs, "adjoint gather")]);
      add(grid, "adjoint hand", t[2].median, s.cells, adjoint_bytes, t[0].median, primal_bytes,
          checks[index_of(vs, "adjoint hand")]);
      add(grid, "ADOL-C tape+reverse", t[3].median, s.cells, adjoint_bytes, t[0].median, primal_bytes, adolc_check);
      adolc_vs_gather = t[3].median / t[1].median;
      adolc_vs_hand = t[3].median / t[2].median;
      std::ostringstream os;
      os << name << ": ADOL-C tape holds " << std::fixed << std::setprecision(1) << adolc.operations_per_cell()
         << " operations per cell";
      root_print(world, os.str());
    }
  }
#endif

  // The big grid: every variant interleaved.
  const std::int64_t n = big_grid_size<K>(config);
  Setup<K> s(world, Traits<K>::grid(n), kernel, true);
  std::vector<std::size_t> timed;
  for (std::size_t i = 0; i < vs.size(); ++i) {
    bool wanted = i == 0 || config.only.empty();
    for (const std::string& o : config.only) wanted = wanted || vs[i].name.find(o) != std::string::npos;
    if (wanted) timed.push_back(i);
  }
  std::vector<std::function<void()>> runs;
  for (std::size_t i : timed) runs.push_back([&s, &v = vs[i]] { v.run(s); });
  const std::vector<Timing> timing = time_interleaved(world, options, runs);
  std::vector<Timing> t(vs.size());
  for (std::size_t n = 0; n < timed.size(); ++n) t[timed[n]] = timing[n];
  const std::string grid = grid_label(dim, n);
  for (std::size_t i : timed) {
    const double bytes = vs[i].kind == Variant<K>::Kind::Reference ? s.triad_bytes() : vs[i].bytes;
    add(grid, vs[i].name, t[i].median / vs[i].seeds, s.cells, bytes, t[0].median, vs[0].bytes, checks[i]);
  }
  if (!config.only.empty()) return worst_check;  // the targets need every variant

  auto time_of = [&](const std::string& variant) { return t[index_of(vs, variant)].median; };
  const double primal = time_of("primal");
  const double gather = time_of("adjoint gather");
  const double best_library =
      std::min({gather, time_of("adjoint scatter-atomic"), time_of("adjoint scatter-coloured")});
  const double hand = time_of("adjoint hand");
  const double primal_gbs = vs[0].bytes * double(s.cells) / primal * 1e-9;
  auto target = [&](const std::string& metric, double value, const std::string& goal, bool ok) {
    targets.add_row({{"kernel", name},
                     {"ranks", env.size()},
                     {"thr", env.threads()},
                     {"metric", metric},
                     {"value", value},
                     {"target", goal},
                     {"met", goal == "-" ? "-"
                             : ok        ? "yes"
                                         : "NO"}});
  };
  const double adjoint_goal = Traits<K>::linear ? 1.3 : 2.0;
  const std::string adjoint_goal_text = Traits<K>::linear ? "<= 1.3" : "<= 2.0";
  target("adjoint gather / primal", gather / primal, adjoint_goal_text, gather / primal <= adjoint_goal);
  target("best library adjoint / primal", best_library / primal, adjoint_goal_text,
         best_library / primal <= adjoint_goal);
  target("adjoint gather / hand adjoint", gather / hand, "<= 1.15", gather / hand <= 1.15);
  target("tangent N=1 / primal", time_of("tangent N=1") / primal, "<= 1.3", time_of("tangent N=1") / primal <= 1.3);
  const double triad_gbs = s.triad_bytes() * double(s.cells) / time_of("triad (same fields)") * 1e-9;
  target("primal GB/s / triad GB/s (interleaved)", primal_gbs / triad_gbs, ">= 0.8", primal_gbs / triad_gbs >= 0.8);
  target("primal GB/s / triad GB/s (run start)", primal_gbs / triad.gb_per_s, ">= 0.8",
         primal_gbs / triad.gb_per_s >= 0.8);
  target("primal / hand primal", primal / time_of("primal hand"), "-", true);
  target("hand: adjoint / primal", hand / time_of("primal hand"), "-", true);
  const double hand_fraction = primal / time_of("primal hand") * primal_gbs / triad_gbs;
  target("hand: primal GB/s / triad GB/s (interleaved)", hand_fraction, "-", true);
  if (config.adolc && Traits<K>::adolc) {
    target("ADOL-C / adjoint gather (ADOL-C grid)", adolc_vs_gather, "-", true);
    target("ADOL-C / hand adjoint (ADOL-C grid)", adolc_vs_hand, "-", true);
  }
  return worst_check;
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  int exit_code = 0;
  try {
    CommonOptions options;
    // One big-grid call of a library adjoint takes tens of seconds: 3 samples,
    // no warm-up (every field was written when it was filled).
    options.repetitions = 3;
    options.batch = 1;
    options.warmup = 0;
    options.triad_mib = 1536;
    Config config;
    bool small = false;
    std::vector<std::string> kernels{"heat2d", "burgers2d", "heat3d", "shallow_water"};
    CLI::App app{
        "Primal, tangent and adjoint (every assembly form) of stencil kernels, against hand-written code, "
        "ADOL-C and the triad bandwidth."};
    add_common_options(app, options);
    app.add_flag("--small", small, "Smoke run: tiny grids and few repetitions (no meaningful timing)");
    app.add_option("--size-2d", config.size_2d, "Cells per dimension of the 2D grids")->capture_default_str();
    app.add_option("--size-3d", config.size_3d, "Cells per dimension of the 3D grid")->capture_default_str();
    app.add_option("--size-shallow-water", config.size_shallow_water, "Cells per dimension of the shallow-water grid")
        ->capture_default_str();
    app.add_option("--adolc-2d", config.adolc_2d, "Cells per dimension of the 2D grid ADOL-C tapes")
        ->capture_default_str();
    app.add_option("--adolc-3d", config.adolc_3d, "Cells per dimension of the 3D grid ADOL-C tapes")
        ->capture_default_str();
    app.add_flag("!--no-adolc", config.adolc, "Skip the ADOL-C reference");
    app.add_option("--only", config.only,
                   "Time only the variants whose name contains one of these (the primal always; no targets table)")
        ->delimiter(',');
    app.add_option("--kernels", kernels, "Kernels to measure (heat2d, burgers2d, heat3d, shallow_water)")
        ->delimiter(',');
    if (auto code = parse_command_line(app, argc, argv, env.world())) return *code;
    if (!UNDERTOW_BENCH_ADOLC && config.adolc) {
      root_print(env.world(), "bench_kernels: no ADOL-C reference in a device build (ADOL-C runs on the host only)");
      config.adolc = false;
    }
    if (small) {
      config.size_2d = 128;
      config.size_3d = 24;
      config.size_shallow_water = 64;
      config.adolc_2d = 64;
      config.adolc_3d = 12;
      config.check_2d = 20;
      config.check_3d = 10;
      options.repetitions = 3;
      options.triad_mib = 8;
    }

    const MPI_Comm world = env.world();
    root_print(world, "bench_kernels: " + env.describe() + ", " + utc_timestamp());
    const TriadResult triad = measure_triad(world, options.triad_mib, std::max(10, options.repetitions));
    {
      std::ostringstream os;
      os << "triad: " << std::fixed << std::setprecision(1) << triad.gb_per_s << " GB/s over all ranks ("
         << options.triad_mib << " MiB working set)";
      root_print(world, os.str());
    }

    Table table("Kernels: median time per application (slowest rank), variants interleaved");
    add_run_metadata(table, env, "kernels");
    table.add_metadata("table", "variants");
    table.add_column("kernel")
        .add_column("grid")
        .add_column("ranks")
        .add_column("thr")
        .add_column("variant")
        .add_column("ms", 2)
        .add_column("Mcell/s", 1)
        .add_column("GB/s", 2)
        .add_column("x_primal", 2)
        .add_column("traffic_x", 2)
        .add_column("of_triad", 2)
        .add_column("check", 1);
    Table targets("Kernels: ratios against the targets");
    add_run_metadata(targets, env, "kernels");
    targets.add_metadata("table", "targets");
    targets.add_column("kernel")
        .add_column("ranks")
        .add_column("thr")
        .add_column("metric")
        .add_column("value", 2)
        .add_column("target")
        .add_column("met");

    double worst_check = 0;
    for (const std::string& k : kernels) {
      if (k == "heat2d") {
        worst_check = std::max(worst_check, run_case<Heat2D>(env, options, config, triad, table, targets));
      } else if (k == "burgers2d") {
        worst_check = std::max(worst_check, run_case<Burgers2D>(env, options, config, triad, table, targets));
      } else if (k == "heat3d") {
        worst_check = std::max(worst_check, run_case<Heat3D>(env, options, config, triad, table, targets));
      } else if (k == "shallow_water") {
        worst_check = std::max(worst_check, run_case<ShallowWater>(env, options, config, triad, table, targets));
      } else {
        throw Error("unknown kernel '" + k + "' (heat2d, burgers2d, heat3d, shallow_water)");
      }
    }
    print_on_root(world, table);
    root_print(world, "");
    print_on_root(world, targets);
    root_print(world,
               "check: relative difference to the gather adjoint (adjoints; scatter forms after the transposed "
               "exchange), dot-product test against it (tangents), or to the library primal (hand primal)");
    if (!options.json_path.empty()) write_json(world, options.json_path, {&table, &targets});
    if (!(worst_check <= check_tolerance)) {
      root_print(world, "bench_kernels: FAILED: a check exceeds " + scientific(check_tolerance) + " (see above)");
      exit_code = 1;
    }
  } catch (const Error& e) {
    root_print(env.world(), std::string("bench_kernels: ") + e.what());
    exit_code = 1;
  }
  return exit_code;
}
