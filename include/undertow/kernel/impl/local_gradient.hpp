// The local reverse of one cell (DESIGN.md section 6): the kernel evaluated once at
// cell p on Adj numbers (undertow/ad/local_reverse.hpp), every input it reads
// registered on a tape on the thread's stack, one reverse sweep seeded with the
// output adjoints out_bar(p). The result is
//   g[q * K::input_values + slot] = d (sum_o out_bar_o out_o(p)) / d in_slot(p + offset_q)
// for every stencil offset q (Stencil::offset order) and input slot, at a cost of
// a few primal evaluations whatever the stencil size and the number of inputs:
// what the gather adjoint needs, g(d - o_q)[q] summed over q, without evaluating
// the kernel once per offset on Dual numbers. Device code; no heap, no globals.
#pragma once

#include <Kokkos_Core.hpp>

#include "undertow/ad/local_reverse.hpp"
#include "undertow/kernel/impl/cell_access.hpp"
#include "undertow/kernel/kernel.hpp"

namespace undertow::detail {

// By value, as check_stencil: a reference would odr-use the kernel's static member.
KOKKOS_INLINE_FUNCTION int stencil_index(Stencil s, int di, int dj, int dk) {
  return s.index(di, dj, dk);
}

/// Entries of g per cell: every stencil offset times every input value.
template <class K>
KOKKOS_INLINE_FUNCTION constexpr int local_gradient_size() {
  return K::stencil.size() * K::input_values;
}

/// The input accessor of a local reverse. The tape's first local_gradient_size<K>()
/// statements are the inputs, statement q * K::input_values + slot for input slot
/// `slot` at stencil offset q: a read is a load and a label, nothing is recorded.
template <class K, int Cap>
struct TapedInput {
  using scalar = Adj<Cap>;
  const KernelData<K>& data;
  Index3 p;
  LocalTape<Cap>* tape;

  KOKKOS_FORCEINLINE_FUNCTION scalar comp(int f, int c, int di, int dj = 0, int dk = 0) const {
    detail::check_stencil(K::stencil, di, dj, dk);
    const Index3& s = data.in_shift[f];
    return scalar(data.in[f](c, p[0] + di + s[0], p[1] + dj + s[1], p[2] + dk + s[2]),
                  detail::stencil_index(K::stencil, di, dj, dk) * K::input_values + K::input_slot(f, c), tape);
  }
  KOKKOS_FORCEINLINE_FUNCTION scalar operator()(int f, int di, int dj = 0, int dk = 0) const {
    return comp(f, 0, di, dj, dk);
  }
  KOKKOS_FORCEINLINE_FUNCTION std::int64_t global(int d) const { return data.origin[d] + p[d]; }
};

/// The recorded evaluation and the reverse sweep behind local_gradient, for any
/// taped accessor `in` over `tape` (which holds the G inputs already): g as there.
/// With M seeds, out_bar holds M blocks of K::output_values and g M blocks of G
/// (seed-major): one recording, one vector sweep (LocalTape::reverse_seeds).
template <int Cap, class K, class In, int M = 1>
KOKKOS_INLINE_FUNCTION bool local_reverse(const K& kernel, const In& in, LocalTape<Cap>& tape, const double* out_bar,
                                          double* g) {
  constexpr int G = local_gradient_size<K>(), O = K::output_values;
  static_assert(G < Cap, "the tape capacity must exceed the number of inputs (stencil size x input values)");
  CellOutput<K, Adj<Cap>> out;
  kernel(in, out);
  if (tape.overflowed()) {
    for (int q = 0; q < M * G; ++q) g[q] = 0.0;
    return false;
  }
  double adjoint[(Cap + 1) * M];
  for (int i = 0; i < tape.size * M; ++i) adjoint[i] = 0.0;
  for (int m = 0; m < M; ++m) adjoint[Cap * M + m] = 0.0;
  for (int o = 0; o < O; ++o)
    for (int m = 0; m < M; ++m) adjoint[out.v[o].idx * M + m] += out_bar[m * O + o];
  tape.template reverse_seeds<M>(adjoint);
  for (int m = 0; m < M; ++m)
    for (int q = 0; q < G; ++q) g[m * G + q] = adjoint[q * M + m];
  return true;
}

/// g (local_gradient_size<K>() values) of cell p for the output adjoints out_bar
/// (K::output_values values, in output-slot order). Returns false if the kernel's
/// evaluation needs more than Cap statements (or 4 Cap argument pairs): g is then
/// zero, not a gradient.
template <int Cap, class K>
KOKKOS_INLINE_FUNCTION bool local_gradient(const KernelData<K>& data, const Index3& p, const double* out_bar,
                                           double* g) {
  LocalTape<Cap> tape;
  tape.add_inputs(local_gradient_size<K>());
  const TapedInput<K, Cap> in{data, p, &tape};
  return local_reverse<Cap, K>(data.kernel, in, tape, out_bar, g);
}

}  // namespace undertow::detail
