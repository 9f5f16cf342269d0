// Dual<T, N>: forward-mode AD number with N directional derivatives.
//
// A Dual carries a value and N partial derivatives ("vector mode"): one
// evaluation of a kernel on Duals yields N directional derivatives at a cost far
// below N separate tangent runs. It is a plain aggregate of N + 1 scalars (no
// heap, no virtuals), every operation is KOKKOS_INLINE_FUNCTION, and comparisons
// look at values only, so kernels with branches (upwinding, limiters) work
// unchanged. Undertow uses it for tangents (N = number of directions) and, in the
// adjoint assemblies, for the local derivatives of one cell (N = number of
// differentiated input components).
//
// Structural zeros: derivative terms the optimiser can prove to be zero (a seed
// that is 0 at compile time, after inlining) are skipped, never tested at run
// time (`detail::known_zero`, GCC/Clang host code; a no-op elsewhere). In the
// gather adjoint, where a kernel runs seeded at one stencil offset known at
// compile time, this removes the arithmetic of every input that does not carry
// the seed, so the seeded evaluation costs about what a hand-derived transposed
// stencil does. Results are unchanged except, possibly, for the sign of a zero.
//
// Values round as in plain double code (x / y divides, it does not multiply by
// 1 / y), so a branch on a value takes the same side in the primal, tangent and
// adjoint runs.
#pragma once

#include <Kokkos_Core.hpp>
#include <type_traits>

namespace undertow {

namespace detail {
/// True only if the compiler has proven x == 0; never costs a run-time test.
template <class T>
KOKKOS_FORCEINLINE_FUNCTION bool known_zero(const T& x) {
#if defined(__GNUC__) && !defined(__CUDA_ARCH__) && !defined(__HIP_DEVICE_COMPILE__)
  return __builtin_constant_p(x) && x == T(0);
#else
  (void)x;
  return false;
#endif
}
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T zmul(const T& a, const T& b) {
  return known_zero(a) || known_zero(b) ? T(0) : a * b;
}
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T zadd(const T& a, const T& b) {
  return known_zero(a) ? b : known_zero(b) ? a : a + b;
}
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T zsub(const T& a, const T& b) {
  return known_zero(b) ? a : known_zero(a) ? -b : a - b;
}
}  // namespace detail

template <class T, int N>
struct Dual {
  static_assert(N >= 1, "Dual needs at least one derivative direction");
  using value_type = T;
  static constexpr int size = N;

  T val;
  T d[N];

  KOKKOS_INLINE_FUNCTION Dual() : val(0) {
    for (int n = 0; n < N; ++n) d[n] = T(0);
  }
  // Implicit from a scalar: a constant (all derivatives zero), so literals and
  // passive values mix freely with active ones.
  KOKKOS_INLINE_FUNCTION Dual(T value) : val(value) {  // NOLINT(google-explicit-constructor)
    for (int n = 0; n < N; ++n) d[n] = T(0);
  }
  /// A variable seeded in direction `direction`.
  KOKKOS_INLINE_FUNCTION static Dual variable(T value, int direction) {
    Dual x(value);
    x.d[direction] = T(1);
    return x;
  }

  KOKKOS_INLINE_FUNCTION Dual& operator+=(const Dual& o) {
    val += o.val;
    for (int n = 0; n < N; ++n) d[n] = detail::zadd(d[n], o.d[n]);
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator-=(const Dual& o) {
    val -= o.val;
    for (int n = 0; n < N; ++n) d[n] = detail::zsub(d[n], o.d[n]);
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator*=(const Dual& o) {
    for (int n = 0; n < N; ++n) d[n] = detail::zadd(detail::zmul(d[n], o.val), detail::zmul(val, o.d[n]));
    val *= o.val;
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator/=(const Dual& o) {
    // (x / y)' = (x' - (x / y) y') / y; the value is x / y exactly as a double.
    const T inv = T(1) / o.val;
    val /= o.val;
    for (int n = 0; n < N; ++n) d[n] = detail::zmul(detail::zsub(d[n], detail::zmul(val, o.d[n])), inv);
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator+=(T s) {
    val += s;
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator-=(T s) {
    val -= s;
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator*=(T s) {
    val *= s;
    for (int n = 0; n < N; ++n) d[n] = detail::zmul(d[n], s);
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator/=(T s) {
    const T inv = T(1) / s;
    val /= s;
    for (int n = 0; n < N; ++n) d[n] = detail::zmul(d[n], inv);
    return *this;
  }
};

template <class X>
struct is_dual : std::false_type {};
template <class T, int N>
struct is_dual<Dual<T, N>> : std::true_type {};

/// The value of a plain number or of a Dual (for tests of a scalar's sign,
/// printing, or code that must not differentiate through something).
KOKKOS_INLINE_FUNCTION double value(double x) {
  return x;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION T value(const Dual<T, N>& x) {
  return x.val;
}

// Arithmetic. Scalars of any arithmetic type (int literals included) convert to T.
#define UNDERTOW_DUAL_ARITH(op, opassign)                                                    \
  template <class T, int N>                                                                  \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator op(Dual<T, N> a, const Dual<T, N>& b) {         \
    a opassign b;                                                                            \
    return a;                                                                                \
  }                                                                                          \
  template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>> \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator op(Dual<T, N> a, S s) {                         \
    a opassign static_cast<T>(s);                                                            \
    return a;                                                                                \
  }
UNDERTOW_DUAL_ARITH(+, +=)
UNDERTOW_DUAL_ARITH(-, -=)
UNDERTOW_DUAL_ARITH(*, *=)
UNDERTOW_DUAL_ARITH(/, /=)
#undef UNDERTOW_DUAL_ARITH

// number + Dual and number * Dual commute: s * b scales b's derivatives (N
// products), not the full product rule of a constant Dual times b.
template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator+(S s, Dual<T, N> b) {
  b += static_cast<T>(s);
  return b;
}
template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator*(S s, Dual<T, N> b) {
  b *= static_cast<T>(s);
  return b;
}
template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator-(S s, const Dual<T, N>& b) {
  Dual<T, N> r;
  r.val = static_cast<T>(s) - b.val;
  for (int n = 0; n < N; ++n) r.d[n] = detail::zsub(T(0), b.d[n]);
  return r;
}
template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator/(S s, const Dual<T, N>& b) {
  // (s / y)' = -(s / y) y' / y
  Dual<T, N> r;
  r.val = static_cast<T>(s) / b.val;
  const T slope = -r.val / b.val;
  for (int n = 0; n < N; ++n) r.d[n] = detail::zmul(slope, b.d[n]);
  return r;
}

template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator-(const Dual<T, N>& a) {
  Dual<T, N> r;
  r.val = -a.val;
  for (int n = 0; n < N; ++n) r.d[n] = detail::zsub(T(0), a.d[n]);
  return r;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator+(const Dual<T, N>& a) {
  return a;
}

// Comparisons act on values: a branch is taken as the primal takes it.
#define UNDERTOW_DUAL_CMP(op)                                                                \
  template <class T, int N>                                                                  \
  KOKKOS_INLINE_FUNCTION bool operator op(const Dual<T, N>& a, const Dual<T, N>& b) {        \
    return a.val op b.val;                                                                   \
  }                                                                                          \
  template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>> \
  KOKKOS_INLINE_FUNCTION bool operator op(const Dual<T, N>& a, S s) {                        \
    return a.val op static_cast<T>(s);                                                       \
  }                                                                                          \
  template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>> \
  KOKKOS_INLINE_FUNCTION bool operator op(S s, const Dual<T, N>& b) {                        \
    return static_cast<T>(s) op b.val;                                                       \
  }
UNDERTOW_DUAL_CMP(<)
UNDERTOW_DUAL_CMP(>)
UNDERTOW_DUAL_CMP(<=)
UNDERTOW_DUAL_CMP(>=)
UNDERTOW_DUAL_CMP(==)
UNDERTOW_DUAL_CMP(!=)
#undef UNDERTOW_DUAL_CMP

}  // namespace undertow
