// Kernel<Inputs<...>, Outputs<...>>: the base every per-cell kernel derives from.
//
// A kernel reads `num_inputs` fields (states and coefficients) at offsets within
// its declared `stencil` and writes `num_outputs` fields at its own cell. The
// component count of each field is part of the type, so the library knows at
// compile time how many values one cell reads and writes (the size of the local
// derivative). The body is one generic member template, written once:
//
//   struct Heat : undertow::Kernel<undertow::Inputs<1, 1>, undertow::Outputs<1>> {
//     static constexpr undertow::Stencil stencil = undertow::Stencil::star(2, 1);
//     double alpha;
//     template <class In, class Out>
//     KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
//       using S = typename In::scalar;  // double, or a Dual for derivatives
//       S lap = in(0, 1, 0) + in(0, -1, 0) + in(0, 0, 1) + in(0, 0, -1) - 4.0 * in(0, 0, 0);
//       out(0) = in(0, 0, 0) + alpha * in(1, 0, 0) * lap;
//     }
//   };
//
// `in(f, di, dj, dk)` reads component 0 of input f; `in.comp(f, c, di, dj, dk)`
// any component; `out(f, c)` is the value written. Bodies may use local
// variables, branches and undertow:: math (sqrt, exp, min, max, ...); they must
// not allocate, call virtuals, or write anything but `out`.
//
// For fast adjoints, read offsets should be compile-time constants once the body
// is inlined: put UNDERTOW_UNROLL before fixed-trip loops over dimensions or
// faces, make orientation choices (upwind side) template arguments, and mark
// helper functions KOKKOS_FORCEINLINE_FUNCTION. The adjoint then drops the
// arithmetic of every read that does not carry the seed (docs/kernels.md).
#pragma once

#include <type_traits>
#include <utility>

#include "undertow/kernel/stencil.hpp"

// Unrolls the next loop completely (the loop needs a compile-time trip count).
#if defined(__CUDACC__) || defined(__clang__)
#define UNDERTOW_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define UNDERTOW_UNROLL _Pragma("GCC unroll 16")
#else
#define UNDERTOW_UNROLL
#endif

// Forces a lambda called in a kernel body to be inlined there, placed after its
// parameter list: [&](auto face) UNDERTOW_INLINE_LAMBDA { ... }. GCC keeps a large
// Dual lambda out of line, its arguments pass through memory and the adjoint folds
// no structural zero (heat's gather reverse: 738 ms instead of 70, bench_solvers).
#if defined(__GNUC__) || defined(__clang__)
#define UNDERTOW_INLINE_LAMBDA __attribute__((always_inline))
#else
#define UNDERTOW_INLINE_LAMBDA
#endif

namespace undertow {

template <int... Components>
struct Inputs {};
template <int... Components>
struct Outputs {};

template <class InputList, class OutputList>
struct Kernel;

template <int... I, int... O>
struct Kernel<Inputs<I...>, Outputs<O...>> {
  static_assert(sizeof...(I) >= 1 && sizeof...(O) >= 1, "a kernel has at least one input and one output");
  static_assert(((I >= 1) && ...) && ((O >= 1) && ...), "component counts must be positive");
  static constexpr int num_inputs = sizeof...(I);
  static constexpr int num_outputs = sizeof...(O);
  /// Values one cell reads per offset (sum of input components).
  static constexpr int input_values = (I + ...);
  /// Values one cell writes (sum of output components).
  static constexpr int output_values = (O + ...);
  KOKKOS_INLINE_FUNCTION static constexpr int input_components(int f) {
    constexpr int c[] = {I...};
    return c[f];
  }
  KOKKOS_INLINE_FUNCTION static constexpr int output_components(int f) {
    constexpr int c[] = {O...};
    return c[f];
  }
  /// Index of (input f, component c) among the input_values.
  KOKKOS_INLINE_FUNCTION static constexpr int input_slot(int f, int c) {
    constexpr int comps[] = {I...};
    int s = 0;
    for (int g = 0; g < f; ++g) s += comps[g];
    return s + c;
  }
  KOKKOS_INLINE_FUNCTION static constexpr int output_slot(int f, int c) {
    constexpr int comps[] = {O...};
    int s = 0;
    for (int g = 0; g < f; ++g) s += comps[g];
    return s + c;
  }
};

/// Face Q of a cell, as compile-time constants: axis d, side s (-1 or +1) and the
/// offset (di, dj, dk) of the neighbour across it.
template <int Q>
struct Face {
  static constexpr int d = Q / 2;
  static constexpr int s = Q % 2 == 0 ? -1 : 1;
  static constexpr int di = d == 0 ? s : 0, dj = d == 1 ? s : 0, dk = d == 2 ? s : 0;
};

namespace detail {
template <class F, int... Q>
KOKKOS_FORCEINLINE_FUNCTION void for_each_face(F& f, std::integer_sequence<int, Q...>) {
  (f(Face<Q>{}), ...);
}
}  // namespace detail

/// Calls f(Face<q>{}) for the 2 Dim faces of a cell, axis by axis, - side first.
/// Each face is its own type, so offsets and upwind choices are constants in f
/// without relying on the unroller; with f inlined (UNDERTOW_INLINE_LAMBDA) the
/// adjoint drops the reads that do not carry the seed (see above):
///   for_each_face<Dim>([&](auto face) UNDERTOW_INLINE_LAMBDA {
///     sum += in(0, face.di, face.dj, face.dk);
///   });
template <int Dim, class F>
KOKKOS_FORCEINLINE_FUNCTION void for_each_face(F&& f) {
  static_assert(Dim >= 1 && Dim <= 3, "for_each_face: Dim is 1, 2 or 3");
  detail::for_each_face(f, std::make_integer_sequence<int, 2 * Dim>{});
}

/// How the adjoint of a kernel is assembled (see docs/kernels.md).
enum class AdjointForm {
  Gather,           ///< transposed stencil: no conflicts, deterministic, needs ghosts 2r
  ScatterAtomic,    ///< per-cell scatter with atomics, then the transposed exchange
  ScatterColoured,  ///< per-cell scatter in (2r+1)^dim conflict-free colour passes
};

/// How a gather adjoint differentiates one cell (docs/kernels.md).
enum class LocalDerivative {
  Automatic,      ///< the kernel's `local_derivative` if it declares one, else by its size
  Reverse,        ///< one taped evaluation and one reverse sweep per cell (DESIGN.md section 6)
  SeededForward,  ///< one Dual evaluation per stencil offset (the reference form)
};

const char* to_string(AdjointForm form);
const char* to_string(LocalDerivative method);

namespace detail {
template <class K, class = void>
struct DeclaredLocalDerivative {
  static constexpr LocalDerivative value = LocalDerivative::Automatic;
};
template <class K>
struct DeclaredLocalDerivative<K, std::void_t<decltype(K::local_derivative)>> {
  static constexpr LocalDerivative value = K::local_derivative;
};
}  // namespace detail

/// The method LocalDerivative::Automatic stands for with kernel K: what K declares
/// (`static constexpr LocalDerivative local_derivative = ...;`), else the faster
/// form as measured with the compiler at hand (docs/benchmarks.md). With GCC, the
/// reverse once a cell has at least 16 input values in its stencil (stencil points
/// x input values); below that the seeded forward form, whose structural zeros GCC
/// folds, is as fast as hand-written code. clang's scalar replacement folds them on
/// every kernel measured (shallow water, 5 x 5 values: seeded forward 7x faster
/// than the reverse, 1.3x the hand-written adjoint), so with clang: seeded forward.
template <class K>
constexpr LocalDerivative automatic_local_derivative() {
  constexpr LocalDerivative declared = detail::DeclaredLocalDerivative<K>::value;
  if constexpr (declared != LocalDerivative::Automatic) {
    return declared;
  } else {
#if defined(__clang__)
    return LocalDerivative::SeededForward;
#else
    return K::stencil.size() * K::input_values >= 16 ? LocalDerivative::Reverse : LocalDerivative::SeededForward;
#endif
  }
}

}  // namespace undertow
