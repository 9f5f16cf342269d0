// Row assembly: the cell loops behind KernelApplication's forward, tangent and
// adjoint assemblies (internal; users call KernelApplication).
//
// One work item is a run of cells along the unit-stride dimension of a row (rows
// are cut in chunks so that 1D and short grids still give every thread work).
// Three choices make these loops close to hand-written stencil code:
//  1. Rows, not a Rank<3> MDRange: on a 2D grid the last MDRange extent is 1, so
//     Kokkos' default tiles are 2 x 2 x 1 cells and every 4 cells pay the tile
//     bookkeeping. A row is an inner loop the compiler can vectorise; fields are
//     read through raw pointers with the unit stride known at compile time.
//  2. Compile-time seeds in the adjoints. The loop over stencil offsets is
//     unrolled at compile time (the stencil is constexpr), so the accessor knows
//     statically which reads carry the seed, and Dual's structural zeros (see
//     dual.hpp) drop the arithmetic of every input that does not: evaluating the
//     kernel "seeded at offset q" leaves only the terms that depend on the inputs
//     at q, close to a hand-derived transposed stencil.
//  3. Interior / boundary split: cells whose transposed stencil cannot leave the
//     domain skip the per-offset wall test.
// The row functions are `flatten`ed (GCC/Clang): otherwise a kernel body on Duals
// stays out of line (one call per cell and offset, values through memory).
// Everything here touches PODs and raw device pointers only.
#pragma once

#include <Kokkos_Core.hpp>
#include <cstddef>
#include <cstdint>

#include "undertow/ad/dual.hpp"
#include "undertow/core/impl/row_range.hpp"
#include "undertow/core/types.hpp"
#include "undertow/field/field.hpp"
#include "undertow/kernel/impl/cell_access.hpp"
#include "undertow/kernel/kernel.hpp"

namespace undertow::detail {

/// (field, component) of every input or output slot, as constexpr tables: slot
/// loops then have constant trip counts and unroll completely.
template <int N>
struct SlotTable {
  int field[N];
  int comp[N];
};
/// The slots of K's inputs (Inputs) or outputs, field after field.
template <class K, bool Inputs>
KOKKOS_INLINE_FUNCTION constexpr SlotTable<Inputs ? K::input_values : K::output_values> slot_table() {
  SlotTable<Inputs ? K::input_values : K::output_values> t{};
  const int fields = Inputs ? K::num_inputs : K::num_outputs;
  for (int f = 0, s = 0; f < fields; ++f) {
    const int components = Inputs ? K::input_components(f) : K::output_components(f);
    for (int c = 0; c < components; ++c, ++s) {
      t.field[s] = f;
      t.comp[s] = c;
    }
  }
  return t;
}
template <class K>
KOKKOS_INLINE_FUNCTION constexpr SlotTable<K::input_values> input_slot_table() {
  return slot_table<K, true>();
}
template <class K>
KOKKOS_INLINE_FUNCTION constexpr SlotTable<K::output_values> output_slot_table() {
  return slot_table<K, false>();
}

/// Pointers to owned cell (0,0,0), component 0, of every field, and element
/// strides (component, i, j, k). A tangent or adjoint field has its primal's
/// layout (KernelApplication checks it), hence its strides.
template <class K>
struct RowData {
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

inline double* owned_origin(const Field<double>& f) {
  const auto& v = f.view();
  return v.data() + f.ghost(0) * static_cast<std::ptrdiff_t>(v.stride(1)) +
         f.ghost(1) * static_cast<std::ptrdiff_t>(v.stride(2)) + f.ghost(2) * static_cast<std::ptrdiff_t>(v.stride(3));
}
inline void element_strides(const Field<double>& f, std::ptrdiff_t (&s)[4]) {
  for (int d = 0; d < 4; ++d) s[d] = static_cast<std::ptrdiff_t>(f.view().stride(d));
}

/// Auxiliary (tangent or adjoint) fields may be absent (invalid): null pointers.
template <class K>
RowData<K> make_row_data(const K& kernel, const std::array<Field<double>, K::num_inputs>& in,
                         const std::array<Field<double>, K::num_outputs>& out,
                         const std::array<Field<double>, K::num_inputs>& in_aux,
                         const std::array<Field<double>, K::num_outputs>& out_aux) {
  RowData<K> d{kernel, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  for (int f = 0; f < K::num_inputs; ++f) {
    d.in[f] = owned_origin(in[f]);
    d.in_aux[f] = in_aux[f].valid() ? owned_origin(in_aux[f]) : nullptr;
    element_strides(in[f], d.in_stride[f]);
  }
  for (int f = 0; f < K::num_outputs; ++f) {
    d.out[f] = owned_origin(out[f]);
    d.out_aux[f] = out_aux[f].valid() ? owned_origin(out_aux[f]) : nullptr;
    element_strides(out[f], d.out_stride[f]);
  }
  const Decomposition& dec = in[0].decomposition();
  for (int a = 0; a < 3; ++a) {
    d.origin[a] = dec.owned_lo()[a];
    d.global_cells[a] = dec.grid().cells[a];
    d.periodic[a] = dec.grid().periodic[a];
  }
  return d;
}

/// The RowData of seed s of vector adjoint fields (s * ncomp components further
/// along every adjoint pointer): a scalar assembly on it handles that seed alone.
template <class K>
RowData<K> seed_row_data(RowData<K> d, int s) {
  for (int f = 0; f < K::num_inputs; ++f) {
    if (d.in_aux[f]) d.in_aux[f] += s * K::input_components(f) * d.in_stride[f][0];
  }
  for (int f = 0; f < K::num_outputs; ++f) {
    if (d.out_aux[f]) d.out_aux[f] += s * K::output_components(f) * d.out_stride[f][0];
  }
  return d;
}

/// Compile-time loop Q = First .. Count-1 calling f.template step<Q>().
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

/// Element offset of (component c, cell offset di, dj, dk) in a field with
/// element strides s; the innermost used dimension has stride 1 (LayoutRight,
/// unused dimensions have extent 1), said at compile time.
template <int Dim>
KOKKOS_FORCEINLINE_FUNCTION std::ptrdiff_t rel(const std::ptrdiff_t (&s)[4], int c, int di, int dj, int dk) {
  return c * s[0] + (Dim == 1 ? di : di * s[1]) + (Dim == 2 ? dj : dj * s[2]) + (Dim == 3 ? dk : dk * s[3]);
}
template <class K>
KOKKOS_FORCEINLINE_FUNCTION std::ptrdiff_t cell_offset(const std::ptrdiff_t (&s)[4], const Index3& p) {
  return rel<K::stencil.dim>(s, 0, p[0], p[1], p[2]);
}

// ---- Input accessors (the interface of cell_access.hpp) over raw pointers.
// `at[f]` points to input f at the cell being computed.

template <class K>
struct RowPrimalInput {
  using scalar = double;
  static constexpr int Dim = K::stencil.dim;
  const RowData<K>& data;
  const double* const* at;
  Index3 p;
  KOKKOS_FORCEINLINE_FUNCTION double comp(int f, int c, int di, int dj = 0, int dk = 0) const {
    check_stencil(K::stencil, di, dj, dk);
    return at[f][rel<Dim>(data.in_stride[f], c, di, dj, dk)];
  }
  KOKKOS_FORCEINLINE_FUNCTION double operator()(int f, int di, int dj = 0, int dk = 0) const {
    return comp(f, 0, di, dj, dk);
  }
  KOKKOS_FORCEINLINE_FUNCTION std::int64_t global(int d) const { return data.origin[d] + p[d]; }
};

template <class K, int N>
struct RowTangentInput {
  using scalar = Dual<double, N>;
  static constexpr int Dim = K::stencil.dim;
  const RowData<K>& data;
  const double* const* at;
  const double* const* at_aux;
  Index3 p;
  KOKKOS_FORCEINLINE_FUNCTION scalar comp(int f, int c, int di, int dj = 0, int dk = 0) const {
    check_stencil(K::stencil, di, dj, dk);
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

/// Values at the cell, derivative seeded (at compile time) at offset (S0, S1, S2).
template <class K, int S0, int S1, int S2>
struct RowSeededInput {
  using scalar = Dual<double, K::input_values>;
  static constexpr int Dim = K::stencil.dim;
  const RowData<K>& data;
  const double* const* at;
  Index3 p;
  KOKKOS_FORCEINLINE_FUNCTION scalar comp(int f, int c, int di, int dj = 0, int dk = 0) const {
    check_stencil(K::stencil, di, dj, dk);
    scalar x(at[f][rel<Dim>(data.in_stride[f], c, di, dj, dk)]);
    if (di == S0 && dj == S1 && dk == S2) x.d[K::input_slot(f, c)] = 1.0;
    return x;
  }
  KOKKOS_FORCEINLINE_FUNCTION scalar operator()(int f, int di, int dj = 0, int dk = 0) const {
    return comp(f, 0, di, dj, dk);
  }
  KOKKOS_FORCEINLINE_FUNCTION std::int64_t global(int d) const { return data.origin[d] + p[d]; }
};

// ---- Row loops. Each copies RowData to a local first: stores through the field
// pointers then provably leave the strides and pointers alone (no reloads).

template <class K>
UNDERTOW_FLATTEN KOKKOS_FUNCTION void forward_row(const RowData<K>& shared, Index3 p, int length) {
  constexpr int NI = K::num_inputs, NO = K::num_outputs, inner = K::stencil.dim - 1;
  const RowData<K> data = shared;
  const double* in0[NI];
  double* out0[NO];
  for (int f = 0; f < NI; ++f) in0[f] = data.in[f] + cell_offset<K>(data.in_stride[f], p);
  for (int f = 0; f < NO; ++f) out0[f] = data.out[f] + cell_offset<K>(data.out_stride[f], p);
  const int start = p[inner];
  UNDERTOW_IVDEP
  for (int t = 0; t < length; ++t) {
    const double* at[NI];
    for (int f = 0; f < NI; ++f) at[f] = in0[f] + t;
    p[inner] = start + t;
    const RowPrimalInput<K> in{data, at, p};
    CellOutput<K, double> out;
    data.kernel(in, out);
    constexpr SlotTable<K::output_values> slots = output_slot_table<K>();
    for (int m = 0; m < K::output_values; ++m) {
      const int f = slots.field[m];
      out0[f][slots.comp[m] * data.out_stride[f][0] + t] = out.v[m];
    }
  }
}

/// Tangent fields have N * components components, direction-major.
template <class K, int N>
UNDERTOW_FLATTEN KOKKOS_FUNCTION void tangent_row(const RowData<K>& shared, Index3 p, int length) {
  constexpr int NI = K::num_inputs, NO = K::num_outputs, inner = K::stencil.dim - 1;
  const RowData<K> data = shared;
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
  UNDERTOW_IVDEP
  for (int t = 0; t < length; ++t) {
    const double *at[NI], *at_aux[NI];
    for (int f = 0; f < NI; ++f) {
      at[f] = in0[f] + t;
      at_aux[f] = aux0[f] + t;
    }
    p[inner] = start + t;
    const RowTangentInput<K, N> in{data, at, at_aux, p};
    CellOutput<K, Dual<double, N>> out;
    data.kernel(in, out);
    constexpr SlotTable<K::output_values> slots = output_slot_table<K>();
    for (int s = 0; s < K::output_values; ++s) {
      const int f = slots.field[s], c = slots.comp[s], ncomp = K::output_components(slots.field[s]);
      const Dual<double, N>& y = out.v[s];
      out0[f][c * data.out_stride[f][0] + t] = y.val;
      for (int m = 0; m < N; ++m) oaux0[f][(m * ncomp + c) * data.out_stride[f][0] + t] = y.d[m];
    }
  }
}

/// One cell d of the gather adjoint: acc = sum over offsets q (in Stencil order)
/// of sum_m out_bar_m(d - o_q) * d out_m(d - o_q) / d in(d); offsets whose cell
/// lies beyond a wall are skipped when Checked. With M seeds (adjoint fields of
/// M * ncomp components, seed-major) each Dual evaluation serves every seed.
template <class K, bool Checked, int M = 1>
struct GatherCell {
  static constexpr int Dim = K::stencil.dim;
  const RowData<K>& data;
  const double* const* at_in;   // inputs at d
  const double* const* at_bar;  // output adjoints at d
  Index3 d;
  double acc[M][K::input_values];

  template <int Q>
  UNDERTOW_FLATTEN KOKKOS_FORCEINLINE_FUNCTION void step() {
    constexpr Index3 o = K::stencil.offset(Q);
    const Index3 c{d[0] - o[0], d[1] - o[1], d[2] - o[2]};
    if (Checked && !data.inside_domain(c[0], c[1], c[2])) return;
    const double* at[K::num_inputs];
    for (int f = 0; f < K::num_inputs; ++f) at[f] = at_in[f] - rel<Dim>(data.in_stride[f], 0, o[0], o[1], o[2]);
    const RowSeededInput<K, o[0], o[1], o[2]> in{data, at, c};
    CellOutput<K, Dual<double, K::input_values>> out;
    data.kernel(in, out);
    constexpr SlotTable<K::output_values> slots = output_slot_table<K>();
    for (int seed = 0; seed < M; ++seed) {
      double contribution[K::input_values];
      for (int s = 0; s < K::input_values; ++s) contribution[s] = 0.0;
      for (int m = 0; m < K::output_values; ++m) {
        const int f = slots.field[m], comp = seed * K::output_components(f) + slots.comp[m];
        const double w = at_bar[f][rel<Dim>(data.out_stride[f], comp, -o[0], -o[1], -o[2])];
        for (int s = 0; s < K::input_values; ++s) contribution[s] = zadd(contribution[s], zmul(w, out.v[m].d[s]));
      }
      for (int s = 0; s < K::input_values; ++s) acc[seed][s] = zadd(acc[seed][s], contribution[s]);
    }
  }

  KOKKOS_FORCEINLINE_FUNCTION void run() {
    for (int seed = 0; seed < M; ++seed)
      for (int s = 0; s < K::input_values; ++s) acc[seed][s] = 0.0;
    Unroll<0, K::stencil.size()>::run(*this);
  }
};

/// Cells of a row whose gathered sums (`values` per cell) wait on the stack before
/// they are added to the input adjoints: the loop over cells stores unconditionally
/// (it vectorises), and the adds, which skip passive inputs, run per input after it
/// (a test per cell kept GCC from vectorising the loop: heat's reverse step took
/// 1.8x as long). Up to 128 cells and 32 KiB on host execution spaces; one on
/// devices, where a thread's row is short and its stack is registers.
template <int values>
KOKKOS_INLINE_FUNCTION constexpr int gather_block() {
  return !host_execution() ? 1 : 4096 / values < 128 ? 4096 / values : 128;
}

/// Gather adjoint of the cells [begin, end) of the row through p.
template <class K, bool Checked, int M>
UNDERTOW_FLATTEN KOKKOS_FUNCTION void gather_run(const RowData<K>& shared, Index3 p, int begin, int end) {
  constexpr int NI = K::num_inputs, NO = K::num_outputs, V = K::input_values, inner = K::stencil.dim - 1;
  constexpr int B = gather_block<M * V>();
  const RowData<K> data = shared;
  p[inner] = begin;
  const double* in0[NI];
  double* bar0[NI];  // null: a passive input
  const double* ob0[NO];
  for (int f = 0; f < NI; ++f) {
    in0[f] = data.in[f] + cell_offset<K>(data.in_stride[f], p);
    bar0[f] = data.in_aux[f] ? data.in_aux[f] + cell_offset<K>(data.in_stride[f], p) : nullptr;
  }
  for (int f = 0; f < NO; ++f) ob0[f] = data.out_aux[f] + cell_offset<K>(data.out_stride[f], p);
  constexpr SlotTable<V> slots = input_slot_table<K>();
  for (int first = 0; first < end - begin; first += B) {
    const int count = end - begin - first < B ? end - begin - first : B;
    double sums[M * V][B];
    UNDERTOW_IVDEP
    for (int b = 0; b < count; ++b) {
      const int t = first + b;
      const double* at_in[NI];
      const double* at_ob[NO];
      for (int f = 0; f < NI; ++f) at_in[f] = in0[f] + t;
      for (int f = 0; f < NO; ++f) at_ob[f] = ob0[f] + t;
      Index3 q = p;
      q[inner] = begin + t;
      GatherCell<K, Checked, M> cell{data, at_in, at_ob, q, {}};
      cell.run();
      for (int seed = 0; seed < M; ++seed)
        for (int v = 0; v < V; ++v) sums[seed * V + v][b] = cell.acc[seed][v];
    }
    for (int seed = 0; seed < M; ++seed)
      for (int v = 0; v < V; ++v) {
        const int f = slots.field[v];
        if (!bar0[f]) continue;
        double* target = bar0[f] + (seed * K::input_components(f) + slots.comp[v]) * data.in_stride[f][0] + first;
        UNDERTOW_IVDEP
        for (int b = 0; b < count; ++b) target[b] += sums[seed * V + v][b];
      }
  }
}

/// Gather adjoint of one work item: the part of the row whose transposed stencil
/// stays inside the domain ([safe_lo, safe_hi)) runs without wall tests.
template <class K, int M>
KOKKOS_INLINE_FUNCTION void gather_item(const RowData<K>& data, const Rows& rows, const Index3& safe_lo,
                                        const Index3& safe_hi, std::int64_t w) {
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
  if (a0 > start) gather_run<K, true, M>(data, p, start, a0);
  if (a1 > a0) gather_run<K, false, M>(data, p, a0, a1);
  if (end > a1) gather_run<K, true, M>(data, p, a1, end);
}

/// One cell p of a scatter adjoint: for every offset o (unrolled), in_bar(p + o) +=
/// (d out(p) / d in(p + o))^T out_bar(p), with atomics or (one colour of a
/// conflict-free colouring) plain adds. Contributions known to be zero are not
/// written at all.
template <class K, bool Atomic>
struct ScatterCell {
  static constexpr int Dim = K::stencil.dim;
  const RowData<K>& data;
  const double* const* at_in;  // inputs at p
  double* const* at_in_bar;    // input adjoints at p
  Index3 p;
  double out_bar[K::output_values];

  template <int Q>
  UNDERTOW_FLATTEN KOKKOS_FORCEINLINE_FUNCTION void step() {
    constexpr Index3 o = K::stencil.offset(Q);
    const RowSeededInput<K, o[0], o[1], o[2]> in{data, at_in, p};
    CellOutput<K, Dual<double, K::input_values>> out;
    data.kernel(in, out);
    constexpr SlotTable<K::input_values> slots = input_slot_table<K>();
    for (int s = 0; s < K::input_values; ++s) {
      double contribution = 0.0;
      for (int m = 0; m < K::output_values; ++m) contribution = zadd(contribution, zmul(out_bar[m], out.v[m].d[s]));
      const int f = slots.field[s];
      if (known_zero(contribution) || !at_in_bar[f]) continue;  // null: a passive input
      double* target = at_in_bar[f] + rel<Dim>(data.in_stride[f], slots.comp[s], o[0], o[1], o[2]);
      if (Atomic) {
        Kokkos::atomic_add(target, contribution);
      } else {
        *target += contribution;
      }
    }
  }
};

/// Scatter adjoint of `count` cells of the row through p, `step` cells apart.
/// (No ivdep: neighbouring cells of a row write to the same targets.)
template <class K, bool Atomic>
UNDERTOW_FLATTEN KOKKOS_FUNCTION void scatter_run(const RowData<K>& shared, Index3 p, int count, int step) {
  constexpr int NI = K::num_inputs, inner = K::stencil.dim - 1;
  const RowData<K> data = shared;
  const int start = p[inner];
  for (int t = 0; t < count; ++t) {
    p[inner] = start + t * step;
    const double* at_in[NI];
    double* at_in_bar[NI];
    for (int f = 0; f < NI; ++f) {
      const std::ptrdiff_t o = cell_offset<K>(data.in_stride[f], p);
      at_in[f] = data.in[f] + o;
      at_in_bar[f] = data.in_aux[f] ? data.in_aux[f] + o : nullptr;
    }
    ScatterCell<K, Atomic> cell{data, at_in, at_in_bar, p, {}};
    constexpr SlotTable<K::output_values> slots = output_slot_table<K>();
    for (int m = 0; m < K::output_values; ++m) {
      const int f = slots.field[m];
      cell.out_bar[m] = data.out_aux[f][cell_offset<K>(data.out_stride[f], p) + slots.comp[m] * data.out_stride[f][0]];
    }
    Unroll<0, K::stencil.size()>::run(cell);
  }
}

// ---- Launches. The device lambdas live in free functions: CUDA forbids
// extended lambdas inside private or protected member functions, and
// KernelApplication keeps its host-side set-up and checks private.

template <class K>
void launch_forward(const RowData<K>& data, const Rows& rows) {
  Kokkos::parallel_for(
      "undertow::kernel_forward", rows.policy(), KOKKOS_LAMBDA(std::int64_t w) {
        Index3 p;
        int length;
        rows.item(w, p, length);
        forward_row<K>(data, p, length);
      });
}

template <class K, int N>
void launch_tangent(const RowData<K>& data, const Rows& rows) {
  Kokkos::parallel_for(
      "undertow::kernel_tangent", rows.policy(), KOKKOS_LAMBDA(std::int64_t w) {
        Index3 p;
        int length;
        rows.item(w, p, length);
        tangent_row<K, N>(data, p, length);
      });
}

/// The seeded gather for M seeds at once (one Dual evaluation per cell and offset
/// for all of them).
template <class K, int M = 1>
void launch_gather_adjoint(const RowData<K>& data, const Rows& rows, Index3 safe_lo, Index3 safe_hi) {
  Kokkos::parallel_for(
      "undertow::kernel_adjoint_gather", rows.policy(),
      KOKKOS_LAMBDA(std::int64_t w) { gather_item<K, M>(data, rows, safe_lo, safe_hi, w); });
}

template <class K>
void launch_scatter_atomic_adjoint(const RowData<K>& data, const Rows& rows) {
  Kokkos::parallel_for(
      "undertow::kernel_adjoint_scatter_atomic", rows.policy(), KOKKOS_LAMBDA(std::int64_t w) {
        Index3 p;
        int length;
        rows.item(w, p, length);
        scatter_run<K, true>(data, p, length, 1);
      });
}

/// One colour pass: `rows` enumerate the colour's sub-grid, cell q of which is
/// first + q * stride.
template <class K>
void launch_scatter_colour_adjoint(const RowData<K>& data, const Rows& rows, Index3 first, Index3 stride) {
  Kokkos::parallel_for(
      "undertow::kernel_adjoint_scatter_coloured", rows.policy(), KOKKOS_LAMBDA(std::int64_t item) {
        Index3 q;
        int length;
        rows.item(item, q, length);
        const Index3 p{first[0] + q[0] * stride[0], first[1] + q[1] * stride[1], first[2] + q[2] * stride[2]};
        scatter_run<K, false>(data, p, length, stride[rows.inner]);
      });
}

}  // namespace undertow::detail
