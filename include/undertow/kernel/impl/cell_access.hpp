// The objects a kernel body sees: the output record, and an input accessor over
// Kokkos views.
//
// Every input accessor exposes `in(f, di, dj, dk)`, `in.comp(f, c, di, dj, dk)`,
// `in.global(d)` and the type `scalar`. The assemblies of KernelApplication use
// the accessors of row_assembly.hpp (raw pointers along rows: plain values, values
// with N tangent directions, values seeded at one stencil offset known at compile
// time). SeededInput here is the view-based accessor seeded at ONE offset known
// at run time (scalar = Dual<double, K::input_values>, so the outputs carry
// d out / d in(cell + offset) for every input component), for one-off local
// derivatives such as the Jacobi diagonal of linear_solve.
// Reads outside the declared stencil abort in builds with UNDERTOW_CHECK_STENCIL
// (on by default unless NDEBUG). Everything here is device code over PODs.
#pragma once

#include <Kokkos_Core.hpp>
#include <array>

#include "undertow/ad/dual.hpp"
#include "undertow/core/types.hpp"
#include "undertow/field/field.hpp"
#include "undertow/kernel/kernel.hpp"

#if !defined(UNDERTOW_CHECK_STENCIL)
#if defined(NDEBUG)
#define UNDERTOW_CHECK_STENCIL 0
#else
#define UNDERTOW_CHECK_STENCIL 1
#endif
#endif

namespace undertow::detail {

using FieldView = Kokkos::View<double****, Kokkos::LayoutRight, MemSpace>;

/// Everything an assembly kernel captures: the user kernel and the views of its
/// fields (values, and tangents or adjoints), with their ghost offsets.
template <class K>
struct KernelData {
  K kernel;
  FieldView in[K::num_inputs];
  FieldView in_aux[K::num_inputs];  // tangents or adjoints of the inputs
  Index3 in_shift[K::num_inputs];   // ghost widths: owned-relative -> local index
  FieldView out[K::num_outputs];
  FieldView out_aux[K::num_outputs];
  Index3 out_shift[K::num_outputs];
  std::int64_t origin[3];        // global index of the first owned cell
  std::int64_t global_cells[3];  // grid size, to skip cells beyond a wall
  bool periodic[3];

  KOKKOS_INLINE_FUNCTION bool inside_domain(const Index3& p) const {
    for (int d = 0; d < 3; ++d) {
      const std::int64_t g = origin[d] + p[d];
      if (!periodic[d] && (g < 0 || g >= global_cells[d])) return false;
    }
    return true;
  }
};

/// KernelData over the values of `inputs` (no outputs, no auxiliary fields): what
/// the view-based accessors read (SeededInput, TapedInput in local_gradient.hpp).
template <class K>
KernelData<K> make_kernel_data(const K& kernel, const std::array<Field<double>, K::num_inputs>& inputs) {
  KernelData<K> data{kernel, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  for (int f = 0; f < K::num_inputs; ++f) {
    data.in[f] = inputs[f].view();
    data.in_shift[f] = Index3{inputs[f].ghost(0), inputs[f].ghost(1), inputs[f].ghost(2)};
  }
  const Decomposition& dec = inputs[0].decomposition();
  for (int d = 0; d < 3; ++d) {
    data.origin[d] = dec.owned_lo()[d];
    data.global_cells[d] = dec.grid().cells[d];
    data.periodic[d] = dec.grid().periodic[d];
  }
  return data;
}

// The stencil by value: a reference would odr-use the kernel's static constexpr
// member, a host variable that device code cannot address.
KOKKOS_INLINE_FUNCTION void check_stencil(Stencil s, int di, int dj, int dk) {
#if UNDERTOW_CHECK_STENCIL
  if (!s.contains(di, dj, dk)) Kokkos::abort("undertow: kernel read outside its declared stencil");
#else
  (void)s;
  (void)di;
  (void)dj;
  (void)dk;
#endif
}

template <class K>
struct SeededInput {
  using scalar = Dual<double, K::input_values>;
  const KernelData<K>& data;
  Index3 p;     // cell being computed
  Index3 seed;  // the one offset whose inputs are differentiated

  KOKKOS_INLINE_FUNCTION scalar comp(int f, int c, int di, int dj = 0, int dk = 0) const {
    detail::check_stencil(K::stencil, di, dj, dk);
    const Index3& s = data.in_shift[f];
    scalar x(data.in[f](c, p[0] + di + s[0], p[1] + dj + s[1], p[2] + dk + s[2]));
    if (di == seed[0] && dj == seed[1] && dk == seed[2]) x.d[K::input_slot(f, c)] = 1.0;
    return x;
  }
  KOKKOS_INLINE_FUNCTION scalar operator()(int f, int di, int dj = 0, int dk = 0) const {
    return comp(f, 0, di, dj, dk);
  }
  KOKKOS_INLINE_FUNCTION std::int64_t global(int d) const { return data.origin[d] + p[d]; }
};

/// The values one cell writes, in scalar type S.
template <class K, class S>
struct CellOutput {
  S v[K::output_values];
  KOKKOS_INLINE_FUNCTION S& operator()(int f, int c = 0) { return v[K::output_slot(f, c)]; }
  KOKKOS_INLINE_FUNCTION S& comp(int f, int c) { return v[K::output_slot(f, c)]; }
};

}  // namespace undertow::detail
