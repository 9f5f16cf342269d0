// fast_assembly.hpp: prototype assemblies for any Undertow kernel, measured by
// bench_kernels against KernelApplication (proposed for adoption by the library).
//
//   fast_forward(app)                   out = f(in)
//   fast_tangent<N>(app, in_dot, out_dot)
//   fast_adjoint_gather(app, out_bar, in_bar)   in_bar += J^T out_bar, Gather form
//
// Same results and contracts as KernelApplication (the gather adjoint is the same
// sum in the same order, so it agrees with the library's bitwise up to the sign of
// zeros), three differences in how the work is laid out:
//  1. Rows. One parallel_for over (row, chunk of a row); the unit-stride dimension
//     is an inner loop the compiler can vectorise. (KernelApplication uses a
//     Rank<3> MDRange: on a 2D grid the last extent is 1, so Kokkos' default tiles
//     are 2 x 2 x 1 cells and every 4 cells pay the tile bookkeeping.)
//  2. Compile-time seeds. The gather loop over stencil offsets is unrolled at
//     compile time (Stencil is constexpr), so the accessor knows statically which
//     reads carry the seed, and the scalar is a SeedDual whose operations skip
//     derivative terms the optimiser can prove to be zero (structural zeros):
//     after inlining, evaluating the kernel "seeded at offset q" leaves only the
//     arithmetic that depends on the inputs at q, and the value computations that
//     feed no derivative are dead code. What remains is close to a hand-derived
//     transposed stencil.
//  3. Interior / boundary split. Cells whose transposed stencil cannot leave the
//     domain skip the per-offset inside_domain test.
//
// Host (GCC/Clang) prototype: the structural-zero test uses __builtin_constant_p,
// which folds after inlining; elsewhere it is `false` and SeedDual behaves exactly
// like Dual. Include this header BEFORE the kernels that use undertow:: math
// (their qualified calls must see the SeedDual overloads).
#pragma once

#include <Kokkos_Core.hpp>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "undertow/undertow.hpp"

// Inline everything a per-cell function calls, the user kernel included: GCC
// otherwise keeps a kernel body evaluated on Duals out of line (one call per
// cell and offset, values passed through memory, no vectorisation).
#if defined(__GNUC__) && !defined(__CUDA_ARCH__)
#define UNDERTOW_BENCH_FLATTEN __attribute__((flatten))
#else
#define UNDERTOW_BENCH_FLATTEN
#endif

// The cell loops of one row write fields that no read of the row aliases
// (outputs are never inputs: KernelApplication checks it). GCC does not take
// __restrict__ on local pointers into account, and more than 10 pointer pairs to
// check at run time make it give up vectorising, hence the pragma.
#if defined(UNDERTOW_BENCH_IVDEP)
#elif defined(__clang__)
#define UNDERTOW_BENCH_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define UNDERTOW_BENCH_IVDEP _Pragma("GCC ivdep")
#else
#define UNDERTOW_BENCH_IVDEP
#endif

namespace undertow::bench {

// ---------------------------------------------------------------------------
// SeedDual: a Dual whose derivative arithmetic skips known zeros
// ---------------------------------------------------------------------------

namespace zf {
/// True only if the optimiser has proven x == 0 (a structural zero); never costs
/// a run-time test.
KOKKOS_FORCEINLINE_FUNCTION bool known_zero(double x) {
#if defined(__GNUC__) && !defined(__CUDA_ARCH__)
  return __builtin_constant_p(x) && x == 0.0;
#else
  (void)x;
  return false;
#endif
}
KOKKOS_FORCEINLINE_FUNCTION double mul(double a, double b) {
  return known_zero(a) || known_zero(b) ? 0.0 : a * b;
}
KOKKOS_FORCEINLINE_FUNCTION double add(double a, double b) {
  return known_zero(a) ? b : known_zero(b) ? a : a + b;
}
KOKKOS_FORCEINLINE_FUNCTION double sub(double a, double b) {
  return known_zero(b) ? a : known_zero(a) ? -b : a - b;
}
}  // namespace zf

template <int N>
struct SeedDual {
  double val;
  double d[N];

  KOKKOS_FORCEINLINE_FUNCTION SeedDual() : val(0) {
    for (int n = 0; n < N; ++n) d[n] = 0.0;
  }
  KOKKOS_FORCEINLINE_FUNCTION SeedDual(double v) : val(v) {  // NOLINT(google-explicit-constructor)
    for (int n = 0; n < N; ++n) d[n] = 0.0;
  }
  KOKKOS_FORCEINLINE_FUNCTION SeedDual& operator+=(const SeedDual& o) {
    val += o.val;
    for (int n = 0; n < N; ++n) d[n] = zf::add(d[n], o.d[n]);
    return *this;
  }
  KOKKOS_FORCEINLINE_FUNCTION SeedDual& operator-=(const SeedDual& o) {
    val -= o.val;
    for (int n = 0; n < N; ++n) d[n] = zf::sub(d[n], o.d[n]);
    return *this;
  }
  KOKKOS_FORCEINLINE_FUNCTION SeedDual& operator*=(const SeedDual& o) {
    for (int n = 0; n < N; ++n) d[n] = zf::add(zf::mul(d[n], o.val), zf::mul(val, o.d[n]));
    val *= o.val;
    return *this;
  }
  KOKKOS_FORCEINLINE_FUNCTION SeedDual& operator/=(const SeedDual& o) {
    const double inv = 1.0 / o.val;
    val *= inv;
    for (int n = 0; n < N; ++n) d[n] = zf::mul(zf::sub(d[n], zf::mul(val, o.d[n])), inv);
    return *this;
  }
  KOKKOS_FORCEINLINE_FUNCTION SeedDual& operator+=(double s) {
    val += s;
    return *this;
  }
  KOKKOS_FORCEINLINE_FUNCTION SeedDual& operator-=(double s) {
    val -= s;
    return *this;
  }
  KOKKOS_FORCEINLINE_FUNCTION SeedDual& operator*=(double s) {
    val *= s;
    for (int n = 0; n < N; ++n) d[n] = zf::mul(d[n], s);
    return *this;
  }
  KOKKOS_FORCEINLINE_FUNCTION SeedDual& operator/=(double s) { return *this *= 1.0 / s; }
};

#define UNDERTOW_SEED_DUAL_ARITH(op, opassign)                                               \
  template <int N>                                                                           \
  KOKKOS_FORCEINLINE_FUNCTION SeedDual<N> operator op(SeedDual<N> a, const SeedDual<N>& b) { \
    a opassign b;                                                                            \
    return a;                                                                                \
  }                                                                                          \
  template <int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>          \
  KOKKOS_FORCEINLINE_FUNCTION SeedDual<N> operator op(SeedDual<N> a, S s) {                  \
    a opassign static_cast<double>(s);                                                       \
    return a;                                                                                \
  }                                                                                          \
  template <int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>          \
  KOKKOS_FORCEINLINE_FUNCTION SeedDual<N> operator op(S s, const SeedDual<N>& b) {           \
    SeedDual<N> a(static_cast<double>(s));                                                   \
    a opassign b;                                                                            \
    return a;                                                                                \
  }
UNDERTOW_SEED_DUAL_ARITH(+, +=)
UNDERTOW_SEED_DUAL_ARITH(-, -=)
UNDERTOW_SEED_DUAL_ARITH(*, *=)
UNDERTOW_SEED_DUAL_ARITH(/, /=)
#undef UNDERTOW_SEED_DUAL_ARITH

template <int N>
KOKKOS_FORCEINLINE_FUNCTION SeedDual<N> operator-(const SeedDual<N>& a) {
  SeedDual<N> r;
  r.val = -a.val;
  for (int n = 0; n < N; ++n) r.d[n] = zf::sub(0.0, a.d[n]);
  return r;
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION SeedDual<N> operator+(const SeedDual<N>& a) {
  return a;
}

#define UNDERTOW_SEED_DUAL_CMP(op)                                                           \
  template <int N>                                                                           \
  KOKKOS_FORCEINLINE_FUNCTION bool operator op(const SeedDual<N>& a, const SeedDual<N>& b) { \
    return a.val op b.val;                                                                   \
  }                                                                                          \
  template <int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>          \
  KOKKOS_FORCEINLINE_FUNCTION bool operator op(const SeedDual<N>& a, S s) {                  \
    return a.val op static_cast<double>(s);                                                  \
  }                                                                                          \
  template <int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>          \
  KOKKOS_FORCEINLINE_FUNCTION bool operator op(S s, const SeedDual<N>& b) {                  \
    return static_cast<double>(s) op b.val;                                                  \
  }
UNDERTOW_SEED_DUAL_CMP(<)
UNDERTOW_SEED_DUAL_CMP(>)
UNDERTOW_SEED_DUAL_CMP(<=)
UNDERTOW_SEED_DUAL_CMP(>=)
UNDERTOW_SEED_DUAL_CMP(==)
UNDERTOW_SEED_DUAL_CMP(!=)
#undef UNDERTOW_SEED_DUAL_CMP

}  // namespace undertow::bench

// undertow:: math on SeedDual (kernels call these qualified).
namespace undertow {
namespace seed_detail {
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> chain(const bench::SeedDual<N>& a, double f, double slope) {
  bench::SeedDual<N> r;
  r.val = f;
  for (int n = 0; n < N; ++n) r.d[n] = bench::zf::mul(slope, a.d[n]);
  return r;
}
}  // namespace seed_detail
template <int N>
KOKKOS_FORCEINLINE_FUNCTION double value(const bench::SeedDual<N>& x) {
  return x.val;
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> sqrt(const bench::SeedDual<N>& a) {
  const double s = undertow::sqrt(a.val);
  return seed_detail::chain(a, s, 0.5 / s);
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> exp(const bench::SeedDual<N>& a) {
  const double e = undertow::exp(a.val);
  return seed_detail::chain(a, e, e);
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> log(const bench::SeedDual<N>& a) {
  return seed_detail::chain(a, undertow::log(a.val), 1.0 / a.val);
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> pow(const bench::SeedDual<N>& a, double p) {
  const double ap1 = undertow::pow(a.val, p - 1);
  return seed_detail::chain(a, ap1 * a.val, p * ap1);
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> abs(const bench::SeedDual<N>& a) {
  return a.val < 0 ? -a : a;
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> fabs(const bench::SeedDual<N>& a) {
  return a.val < 0 ? -a : a;
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> tanh(const bench::SeedDual<N>& a) {
  const double t = undertow::tanh(a.val);
  return seed_detail::chain(a, t, 1.0 - t * t);
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> sin(const bench::SeedDual<N>& a) {
  return seed_detail::chain(a, undertow::sin(a.val), undertow::cos(a.val));
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> cos(const bench::SeedDual<N>& a) {
  return seed_detail::chain(a, undertow::cos(a.val), -undertow::sin(a.val));
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> min(const bench::SeedDual<N>& a, const bench::SeedDual<N>& b) {
  return b.val < a.val ? b : a;
}
template <int N>
KOKKOS_FORCEINLINE_FUNCTION bench::SeedDual<N> max(const bench::SeedDual<N>& a, const bench::SeedDual<N>& b) {
  return a.val < b.val ? b : a;
}
}  // namespace undertow

namespace undertow::bench {

// ---------------------------------------------------------------------------
// Raw addressing of a kernel's fields
// ---------------------------------------------------------------------------

/// Offset q of a stencil, at compile time (the order of Stencil::offset).
constexpr Index3 stencil_offset(const Stencil& s, int q) {
  Index3 o{0, 0, 0};
  if (s.shape == StencilShape::Star) {
    if (q == 0) return o;
    const int axis = (q - 1) / (2 * s.radius);
    const int step = (q - 1) % (2 * s.radius);
    o[axis] = step < s.radius ? step - s.radius : step - s.radius + 1;
    return o;
  }
  const int w = 2 * s.radius + 1;
  for (int d = s.dim - 1; d >= 0; --d) {
    o[d] = q % w - s.radius;
    q /= w;
  }
  return o;
}

/// (field, component) of every input or output slot, as constexpr tables: loops
/// over slots then have constant trip counts and no inner loops, so they unroll
/// completely and leave the cell loop free of control flow (vectorisable).
template <int N>
struct SlotTable {
  int field[N];
  int comp[N];
};
template <class K>
constexpr SlotTable<K::input_values> input_slots() {
  SlotTable<K::input_values> t{};
  for (int f = 0, s = 0; f < K::num_inputs; ++f)
    for (int c = 0; c < K::input_components(f); ++c, ++s) {
      t.field[s] = f;
      t.comp[s] = c;
    }
  return t;
}
template <class K>
constexpr SlotTable<K::output_values> output_slots() {
  SlotTable<K::output_values> t{};
  for (int f = 0, s = 0; f < K::num_outputs; ++f)
    for (int c = 0; c < K::output_components(f); ++c, ++s) {
      t.field[s] = f;
      t.comp[s] = c;
    }
  return t;
}

/// Pointers to owned cell (0,0,0), component 0, of every field, and element
/// strides (component, i, j, k). A tangent or adjoint field has its primal's
/// layout, hence its strides.
template <class K>
struct FastData {
  static constexpr int NI = K::num_inputs, NO = K::num_outputs;
  K kernel;
  const double* in[NI];
  double* in_aux[NI];
  double* out[NO];
  double* out_aux[NO];
  std::ptrdiff_t in_stride[NI][4];
  std::ptrdiff_t out_stride[NO][4];
  std::int64_t origin[3];
  std::int64_t global_cells[3];
  bool periodic[3];

  KOKKOS_FORCEINLINE_FUNCTION bool inside_domain(int i, int j, int k) const {
    const int p[3] = {i, j, k};
    for (int d = 0; d < 3; ++d) {
      const std::int64_t g = origin[d] + p[d];
      if (!periodic[d] && (g < 0 || g >= global_cells[d])) return false;
    }
    return true;
  }
};

namespace fast_detail {

inline std::ptrdiff_t origin_offset(const Field<double>& f) {
  const auto& v = f.view();
  return f.ghost(0) * static_cast<std::ptrdiff_t>(v.stride(1)) + f.ghost(1) * static_cast<std::ptrdiff_t>(v.stride(2)) +
         f.ghost(2) * static_cast<std::ptrdiff_t>(v.stride(3));
}
inline void strides(const Field<double>& f, std::ptrdiff_t (&s)[4]) {
  for (int d = 0; d < 4; ++d) s[d] = static_cast<std::ptrdiff_t>(f.view().stride(d));
}

template <class K>
FastData<K> make_data(const KernelApplication<K>& app, const std::array<Field<double>, K::num_inputs>& in_aux,
                      const std::array<Field<double>, K::num_outputs>& out_aux) {
  FastData<K> d{app.kernel(), {}, {}, {}, {}, {}, {}, {}, {}, {}};
  for (int f = 0; f < K::num_inputs; ++f) {
    const Field<double>& x = app.inputs()[f];
    d.in[f] = x.view().data() + origin_offset(x);
    d.in_aux[f] = in_aux[f].valid() ? in_aux[f].view().data() + origin_offset(in_aux[f]) : nullptr;
    strides(x, d.in_stride[f]);
  }
  for (int f = 0; f < K::num_outputs; ++f) {
    const Field<double>& y = app.outputs()[f];
    d.out[f] = y.view().data() + origin_offset(y);
    d.out_aux[f] = out_aux[f].valid() ? out_aux[f].view().data() + origin_offset(out_aux[f]) : nullptr;
    strides(y, d.out_stride[f]);
  }
  const Decomposition& dec = app.inputs()[0].decomposition();
  for (int a = 0; a < 3; ++a) {
    d.origin[a] = dec.owned_lo()[a];
    d.global_cells[a] = dec.grid().cells[a];
    d.periodic[a] = dec.grid().periodic[a];
  }
  return d;
}

/// Rows of a box [lo, hi) along the innermost used dimension, cut in chunks so
/// that 1D grids and short grids still give every thread work.
struct Rows {
  int dim;
  Index3 lo, hi;
  int inner;  // the unit-stride dimension (dim - 1)
  int chunk, chunks_per_row;
  std::int64_t rows;

  Rows(int dim_, Index3 lo_, Index3 hi_) : dim(dim_), lo(lo_), hi(hi_), inner(dim_ - 1) {
    const int length = hi[inner] - lo[inner];
    chunk = length < 2048 ? (length > 0 ? length : 1) : 2048;
    chunks_per_row = (length + chunk - 1) / chunk;
    rows = 1;
    for (int a = 0; a < 3; ++a)
      if (a != inner) rows *= (hi[a] - lo[a]);
  }
  std::int64_t items() const { return rows * chunks_per_row; }
  /// Cell coordinates of the first cell of work item w, and its length.
  KOKKOS_INLINE_FUNCTION void item(std::int64_t w, Index3& p, int& length) const {
    std::int64_t row = w / chunks_per_row;
    const int c = static_cast<int>(w % chunks_per_row);
    for (int a = 2; a >= 0; --a) {
      if (a == inner) continue;
      const int extent = hi[a] - lo[a];
      p[a] = lo[a] + static_cast<int>(row % extent);
      row /= extent;
    }
    p[inner] = lo[inner] + c * chunk;
    const int end = p[inner] + chunk < hi[inner] ? p[inner] + chunk : hi[inner];
    length = end - p[inner];
  }
};

// Compile-time loop 0..Count-1.
template <int Q, int Count>
struct Unroll {
  template <class F>
  KOKKOS_FORCEINLINE_FUNCTION static void run(F& f) {
    if constexpr (Q < Count) {
      f.template step<Q>();
      Unroll<Q + 1, Count>::run(f);
    }
  }
};

}  // namespace fast_detail

// ---------------------------------------------------------------------------
// Input accessors over raw pointers
// ---------------------------------------------------------------------------

/// Element offset of (component c, cell offset di, dj, dk) in a field with element
/// strides s; the innermost used dimension has stride 1 (LayoutRight), said at
/// compile time so that row loops are seen as unit-stride.
template <int Dim>
KOKKOS_FORCEINLINE_FUNCTION std::ptrdiff_t rel(const std::ptrdiff_t (&s)[4], int c, int di, int dj, int dk) {
  return c * s[0] + (Dim == 1 ? di : di * s[1]) + (Dim == 2 ? dj : dj * s[2]) + (Dim == 3 ? dk : dk * s[3]);
}

/// The accessors read through `at[f]`, a pointer to input f at the cell computed.
template <class K>
struct FastPrimalInput {
  using scalar = double;
  static constexpr int Dim = K::stencil.dim;
  const FastData<K>& data;
  const double* const* at;
  Index3 p;
  KOKKOS_FORCEINLINE_FUNCTION double comp(int f, int c, int di, int dj = 0, int dk = 0) const {
    detail::check_stencil(K::stencil, di, dj, dk);
    return at[f][rel<Dim>(data.in_stride[f], c, di, dj, dk)];
  }
  KOKKOS_FORCEINLINE_FUNCTION double operator()(int f, int di, int dj = 0, int dk = 0) const {
    return comp(f, 0, di, dj, dk);
  }
  KOKKOS_FORCEINLINE_FUNCTION std::int64_t global(int d) const { return data.origin[d] + p[d]; }
};

template <class K, int N>
struct FastTangentInput {
  using scalar = Dual<double, N>;
  static constexpr int Dim = K::stencil.dim;
  const FastData<K>& data;
  const double* const* at;
  const double* const* at_aux;
  Index3 p;
  KOKKOS_FORCEINLINE_FUNCTION scalar comp(int f, int c, int di, int dj = 0, int dk = 0) const {
    detail::check_stencil(K::stencil, di, dj, dk);
    const std::ptrdiff_t o = rel<Dim>(data.in_stride[f], c, di, dj, dk);
    scalar x(at[f][o]);
    const int ncomp = K::input_components(f);
    for (int n = 0; n < N; ++n) x.d[n] = at_aux[f][o + n * ncomp * data.in_stride[f][0]];
    return x;
  }
  KOKKOS_FORCEINLINE_FUNCTION scalar operator()(int f, int di, int dj = 0, int dk = 0) const {
    return comp(f, 0, di, dj, dk);
  }
  KOKKOS_FORCEINLINE_FUNCTION std::int64_t global(int d) const { return data.origin[d] + p[d]; }
};

/// The scalar of the seeded evaluation: SeedDual (structural zeros folded) or,
/// for comparison, the library's Dual.
template <class K, bool Zeros>
using SeedScalar = std::conditional_t<Zeros, SeedDual<K::input_values>, Dual<double, K::input_values>>;

/// Values at the cell, derivative seeded (statically) at offset (S0, S1, S2), for
/// the inputs whose bit is set in Active.
template <class K, bool Zeros, unsigned Active, int S0, int S1, int S2>
struct FastSeededInput {
  using scalar = SeedScalar<K, Zeros>;
  static constexpr int Dim = K::stencil.dim;
  const FastData<K>& data;
  const double* const* at;
  Index3 p;
  KOKKOS_FORCEINLINE_FUNCTION scalar comp(int f, int c, int di, int dj = 0, int dk = 0) const {
    detail::check_stencil(K::stencil, di, dj, dk);
    scalar x(at[f][rel<Dim>(data.in_stride[f], c, di, dj, dk)]);
    if (((Active >> f) & 1u) && di == S0 && dj == S1 && dk == S2) x.d[K::input_slot(f, c)] = 1.0;
    return x;
  }
  KOKKOS_FORCEINLINE_FUNCTION scalar operator()(int f, int di, int dj = 0, int dk = 0) const {
    return comp(f, 0, di, dj, dk);
  }
  KOKKOS_FORCEINLINE_FUNCTION std::int64_t global(int d) const { return data.origin[d] + p[d]; }
};

// ---------------------------------------------------------------------------
// Row loops (one work item = a run of cells along the unit-stride dimension)
// ---------------------------------------------------------------------------

namespace fast_detail {

template <class K>
KOKKOS_FORCEINLINE_FUNCTION std::ptrdiff_t cell_offset(const std::ptrdiff_t (&s)[4], const Index3& p) {
  return rel<K::stencil.dim>(s, 0, p[0], p[1], p[2]);
}

// Each row function copies FastData to a local first: stores through the field
// pointers then provably leave the strides and pointers alone (no reloads).

template <class K>
UNDERTOW_BENCH_FLATTEN void forward_row(const FastData<K>& shared, Index3 p, int length) {
  constexpr int NI = K::num_inputs, NO = K::num_outputs, inner = K::stencil.dim - 1;
  const FastData<K> data = shared;
  const double* in0[NI];
  double* out0[NO];
  for (int f = 0; f < NI; ++f) in0[f] = data.in[f] + cell_offset<K>(data.in_stride[f], p);
  for (int f = 0; f < NO; ++f) out0[f] = data.out[f] + cell_offset<K>(data.out_stride[f], p);
  const int start = p[inner];
  UNDERTOW_BENCH_IVDEP
  for (int t = 0; t < length; ++t) {
    const double* at[NI];
    for (int f = 0; f < NI; ++f) at[f] = in0[f] + t;
    p[inner] = start + t;
    const FastPrimalInput<K> in{data, at, p};
    CellOutput<K, double> out;
    data.kernel(in, out);
    constexpr SlotTable<K::output_values> slots = output_slots<K>();
    for (int m = 0; m < K::output_values; ++m) {
      const int f = slots.field[m], c = slots.comp[m];
      out0[f][c * data.out_stride[f][0] + t] = out.v[m];
    }
  }
}

template <class K, int N>
UNDERTOW_BENCH_FLATTEN void tangent_row(const FastData<K>& shared, Index3 p, int length) {
  constexpr int NI = K::num_inputs, NO = K::num_outputs, inner = K::stencil.dim - 1;
  const FastData<K> data = shared;
  const double *in0[NI], *aux0[NI];
  double *out0[NO], *oaux0[NO];
  for (int f = 0; f < NI; ++f) {
    in0[f] = data.in[f] + cell_offset<K>(data.in_stride[f], p);
    aux0[f] = data.in_aux[f] + cell_offset<K>(data.in_stride[f], p);
  }
  for (int f = 0; f < NO; ++f) {
    out0[f] = data.out[f] + cell_offset<K>(data.out_stride[f], p);
    oaux0[f] = data.out_aux[f] + cell_offset<K>(data.out_stride[f], p);
  }
  const int start = p[inner];
  UNDERTOW_BENCH_IVDEP
  for (int t = 0; t < length; ++t) {
    const double *at[NI], *at_aux[NI];
    for (int f = 0; f < NI; ++f) {
      at[f] = in0[f] + t;
      at_aux[f] = aux0[f] + t;
    }
    p[inner] = start + t;
    const FastTangentInput<K, N> in{data, at, at_aux, p};
    CellOutput<K, Dual<double, N>> out;
    data.kernel(in, out);
    constexpr SlotTable<K::output_values> slots = output_slots<K>();
    for (int s = 0; s < K::output_values; ++s) {
      const int f = slots.field[s], c = slots.comp[s], ncomp = K::output_components(slots.field[s]);
      const Dual<double, N>& y = out.v[s];
      out0[f][c * data.out_stride[f][0] + t] = y.val;
      for (int m = 0; m < N; ++m) oaux0[f][(m * ncomp + c) * data.out_stride[f][0] + t] = y.d[m];
    }
  }
}

/// One cell d of the gather: acc = sum over offsets q (in Stencil order) of
/// sum_m out_bar_m(d - o_q) d out_m(d - o_q) / d in(d); offsets whose cell lies
/// beyond a wall are skipped when Checked.
template <class K, bool Checked, bool Zeros, unsigned Active>
struct GatherCell {
  static constexpr int Dim = K::stencil.dim;
  const FastData<K>& data;
  const double* const* at_in;   // inputs at d
  const double* const* at_bar;  // output adjoints at d
  Index3 d;
  double acc[K::input_values];

  template <int Q>
  KOKKOS_FORCEINLINE_FUNCTION void step() {
    constexpr Index3 o = stencil_offset(K::stencil, Q);
    const Index3 c{d[0] - o[0], d[1] - o[1], d[2] - o[2]};
    if (Checked && !data.inside_domain(c[0], c[1], c[2])) return;
    using S = SeedScalar<K, Zeros>;
    const double* at[K::num_inputs];
    for (int f = 0; f < K::num_inputs; ++f) at[f] = at_in[f] - rel<Dim>(data.in_stride[f], 0, o[0], o[1], o[2]);
    const FastSeededInput<K, Zeros, Active, o[0], o[1], o[2]> in{data, at, c};
    CellOutput<K, S> out;
    data.kernel(in, out);
    double contribution[K::input_values];
    for (int s = 0; s < K::input_values; ++s) contribution[s] = 0.0;
    constexpr SlotTable<K::output_values> slots = output_slots<K>();
    for (int m = 0; m < K::output_values; ++m) {
      const int f = slots.field[m];
      const double w = at_bar[f][rel<Dim>(data.out_stride[f], slots.comp[m], -o[0], -o[1], -o[2])];
      for (int s = 0; s < K::input_values; ++s) contribution[s] = zf::add(contribution[s], zf::mul(w, out.v[m].d[s]));
    }
    for (int s = 0; s < K::input_values; ++s) acc[s] = zf::add(acc[s], contribution[s]);
  }

  KOKKOS_FORCEINLINE_FUNCTION void run(double* const* in_bar) {
    for (int s = 0; s < K::input_values; ++s) acc[s] = 0.0;
    Unroll<0, K::stencil.size()>::run(*this);
    constexpr SlotTable<K::input_values> slots = input_slots<K>();
    for (int s = 0; s < K::input_values; ++s) {
      const int f = slots.field[s];
      if ((Active >> f) & 1u) in_bar[f][slots.comp[s] * data.in_stride[f][0]] += acc[s];
    }
  }
};

template <class K, bool Checked, bool Zeros, unsigned Active>
UNDERTOW_BENCH_FLATTEN void gather_run(const FastData<K>& shared, Index3 p, int begin, int end) {
  constexpr int NI = K::num_inputs, NO = K::num_outputs, inner = K::stencil.dim - 1;
  const FastData<K> data = shared;
  p[inner] = begin;
  const double* in0[NI];
  double* bar0[NI];
  const double* ob0[NO];
  for (int f = 0; f < NI; ++f) {
    in0[f] = data.in[f] + cell_offset<K>(data.in_stride[f], p);
    bar0[f] = data.in_aux[f] ? data.in_aux[f] + cell_offset<K>(data.in_stride[f], p) : nullptr;  // passive
  }
  for (int f = 0; f < NO; ++f) ob0[f] = data.out_aux[f] + cell_offset<K>(data.out_stride[f], p);
  UNDERTOW_BENCH_IVDEP
  for (int t = 0; t < end - begin; ++t) {
    const double* at_in[NI];
    double* at_bar_in[NI];
    const double* at_ob[NO];
    for (int f = 0; f < NI; ++f) {
      at_in[f] = in0[f] + t;
      at_bar_in[f] = bar0[f] ? bar0[f] + t : nullptr;
    }
    for (int f = 0; f < NO; ++f) at_ob[f] = ob0[f] + t;
    Index3 q = p;
    q[inner] = begin + t;
    GatherCell<K, Checked, Zeros, Active> cell{data, at_in, at_ob, q, {}};
    cell.run(at_bar_in);
  }
}

}  // namespace fast_detail

// ---------------------------------------------------------------------------
// Assemblies
// ---------------------------------------------------------------------------

template <class K>
void fast_forward(const KernelApplication<K>& app) {
  const FastData<K> data = fast_detail::make_data(app, {}, {});
  const Index3 n = app.inputs()[0].decomposition().owned_cells();
  const fast_detail::Rows rows(K::stencil.dim, {0, 0, 0}, n);
  Kokkos::parallel_for(
      "bench::fast_forward", Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(0, rows.items()),
      KOKKOS_LAMBDA(std::int64_t w) {
        Index3 p;
        int length;
        rows.item(w, p, length);
        fast_detail::forward_row<K>(data, p, length);
      });
}

template <int N, class K>
void fast_tangent(const KernelApplication<K>& app, const std::array<Field<double>, K::num_inputs>& input_tangents,
                  const std::array<Field<double>, K::num_outputs>& output_tangents) {
  const FastData<K> data = fast_detail::make_data(app, input_tangents, output_tangents);
  const Index3 n = app.inputs()[0].decomposition().owned_cells();
  const fast_detail::Rows rows(K::stencil.dim, {0, 0, 0}, n);
  Kokkos::parallel_for(
      "bench::fast_tangent", Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(0, rows.items()),
      KOKKOS_LAMBDA(std::int64_t w) {
        Index3 p;
        int length;
        rows.item(w, p, length);
        fast_detail::tangent_row<K, N>(data, p, length);
      });
}

/// in_bar += J^T out_bar in Gather form: same contract, same cells and the same
/// summation order as KernelApplication::adjoint(..., AdjointForm::Gather).
/// Zeros = false evaluates on the library's Dual instead of SeedDual (to measure
/// what the structural zeros are worth). Active: bit f set = the adjoint of input
/// f is wanted (a passive input's adjoint is neither computed nor touched, and
/// may be an empty Field).
template <class K, bool Zeros = true, unsigned Active = ~0u>
void fast_adjoint_gather(const KernelApplication<K>& app, const std::array<Field<double>, K::num_outputs>& out_bar,
                         const std::array<Field<double>, K::num_inputs>& in_bar) {
  const Decomposition& dec = app.inputs()[0].decomposition();
  const int r = K::stencil.radius;
  for (int f = 0; f < K::num_inputs; ++f) {
    if (app.inputs()[f].ghost() < 2 * r) throw Error("fast gather adjoint: inputs need ghost width 2r");
  }
  for (int f = 0; f < K::num_outputs; ++f) {
    if (app.outputs()[f].ghost() < r) throw Error("fast gather adjoint: outputs need ghost width r");
  }
  const FastData<K> data = fast_detail::make_data(app, in_bar, out_bar);
  // Cells assembled: owned, plus ghosts beyond a wall (as KernelApplication).
  // Interior [safe_lo, safe_hi): cells whose transposed stencil stays inside.
  Index3 lo{0, 0, 0}, hi = dec.owned_cells();
  Index3 safe_lo{0, 0, 0}, safe_hi = dec.owned_cells();
  for (int a = 0; a < dec.dim(); ++a) {
    const bool wall = !dec.grid().periodic[a];
    if (wall && dec.at_boundary(a, 0)) lo[a] = -r;
    if (wall && dec.at_boundary(a, 1)) hi[a] += r;
    safe_lo[a] = lo[a];
    safe_hi[a] = hi[a];
    if (wall) {
      // Owned-relative p is safe if r <= origin + p < cells - r.
      const std::int64_t first = r - dec.owned_lo()[a], last = dec.grid().cells[a] - r - dec.owned_lo()[a];
      safe_lo[a] = static_cast<int>(std::max<std::int64_t>(first, lo[a]));
      safe_hi[a] = static_cast<int>(std::min<std::int64_t>(last, hi[a]));
    }
  }
  const fast_detail::Rows rows(K::stencil.dim, lo, hi);
  Kokkos::parallel_for(
      "bench::fast_adjoint_gather", Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(0, rows.items()),
      KOKKOS_LAMBDA(std::int64_t w) {
        Index3 p;
        int length;
        rows.item(w, p, length);
        const int inner = rows.inner;
        const int start = p[inner], end = start + length;
        bool row_safe = true;
        for (int a = 0; a < 3; ++a)
          if (a != inner && (p[a] < safe_lo[a] || p[a] >= safe_hi[a])) row_safe = false;
        int a0 = row_safe ? (safe_lo[inner] > start ? safe_lo[inner] : start) : end;
        int a1 = row_safe ? (safe_hi[inner] < end ? safe_hi[inner] : end) : end;
        if (a0 > end) a0 = end;
        if (a1 < a0) a1 = a0;
        if (a0 > start) fast_detail::gather_run<K, true, Zeros, Active>(data, p, start, a0);
        if (a1 > a0) fast_detail::gather_run<K, false, Zeros, Active>(data, p, a0, a1);
        if (end > a1) fast_detail::gather_run<K, true, Zeros, Active>(data, p, a1, end);
      });
}

// ---------------------------------------------------------------------------
// Ablation: KernelApplication's own gather code, with only `flatten` added
// ---------------------------------------------------------------------------

namespace fast_detail {

template <class K>
struct FlatLibraryGather {
  KernelData<K> data;
  Stencil st;
  Index3 lo;

  UNDERTOW_BENCH_FLATTEN void operator()(int ti, int tj, int tk) const {
    const int i = ti + lo[0], j = tj + lo[1], k = tk + lo[2];
    double acc[K::input_values];
    for (int s = 0; s < K::input_values; ++s) acc[s] = 0.0;
    for (int q = 0; q < st.size(); ++q) {
      const Index3 o = st.offset(q);
      const Index3 c{i - o[0], j - o[1], k - o[2]};
      if (!data.inside_domain(c)) continue;
      double out_bar[K::output_values];
      for (int f = 0; f < K::num_outputs; ++f) {
        const Index3& s = data.out_shift[f];
        for (int cc = 0; cc < K::output_components(f); ++cc)
          out_bar[K::output_slot(f, cc)] = data.out_aux[f](cc, c[0] + s[0], c[1] + s[1], c[2] + s[2]);
      }
      using D = Dual<double, K::input_values>;
      const SeededInput<K> in{data, c, o};
      CellOutput<K, D> out;
      data.kernel(in, out);
      double contribution[K::input_values];
      for (int s = 0; s < K::input_values; ++s) contribution[s] = 0.0;
      for (int m = 0; m < K::output_values; ++m)
        for (int s = 0; s < K::input_values; ++s) contribution[s] += out_bar[m] * out.v[m].d[s];
      for (int s = 0; s < K::input_values; ++s) acc[s] += contribution[s];
    }
    for (int f = 0; f < K::num_inputs; ++f) {
      const Index3& s = data.in_shift[f];
      for (int c = 0; c < K::input_components(f); ++c)
        data.in_aux[f](c, i + s[0], j + s[1], k + s[2]) += acc[K::input_slot(f, c)];
    }
  }
};

}  // namespace fast_detail

/// KernelApplication::adjoint(Gather) line for line (same policy, same runtime
/// stencil loop and seeds), except that the cell function is `flatten`ed: what
/// the smallest library change buys.
template <class K>
void flat_library_gather(const KernelApplication<K>& app, const std::array<Field<double>, K::num_outputs>& out_bar,
                         const std::array<Field<double>, K::num_inputs>& in_bar) {
  const Decomposition& dec = app.inputs()[0].decomposition();
  const int r = K::stencil.radius;
  fast_detail::FlatLibraryGather<K> body{
      KernelData<K>{app.kernel(), {}, {}, {}, {}, {}, {}, {}, {}, {}}, K::stencil, {0, 0, 0}};
  KernelData<K>& d = body.data;
  for (int f = 0; f < K::num_inputs; ++f) {
    const Field<double>& x = app.inputs()[f];
    d.in[f] = x.view();
    d.in_aux[f] = in_bar[f].view();
    d.in_shift[f] = Index3{x.ghost(0), x.ghost(1), x.ghost(2)};
  }
  for (int f = 0; f < K::num_outputs; ++f) {
    const Field<double>& y = app.outputs()[f];
    d.out[f] = y.view();
    d.out_aux[f] = out_bar[f].view();
    d.out_shift[f] = Index3{y.ghost(0), y.ghost(1), y.ghost(2)};
  }
  for (int a = 0; a < 3; ++a) {
    d.origin[a] = dec.owned_lo()[a];
    d.global_cells[a] = dec.grid().cells[a];
    d.periodic[a] = dec.grid().periodic[a];
  }
  Index3 hi = dec.owned_cells();
  for (int a = 0; a < dec.dim(); ++a) {
    if (!dec.grid().periodic[a] && dec.at_boundary(a, 0)) body.lo[a] = -r;
    if (!dec.grid().periodic[a] && dec.at_boundary(a, 1)) hi[a] += r;
  }
  Kokkos::parallel_for("bench::flat_library_gather",
                       Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>(
                           {0, 0, 0}, {hi[0] - body.lo[0], hi[1] - body.lo[1], hi[2] - body.lo[2]}),
                       body);
}

}  // namespace undertow::bench
