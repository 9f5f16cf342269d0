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
#pragma once

#include <Kokkos_Core.hpp>

#include <type_traits>

namespace undertow {

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
    for (int n = 0; n < N; ++n) d[n] += o.d[n];
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator-=(const Dual& o) {
    val -= o.val;
    for (int n = 0; n < N; ++n) d[n] -= o.d[n];
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator*=(const Dual& o) {
    for (int n = 0; n < N; ++n) d[n] = d[n] * o.val + val * o.d[n];
    val *= o.val;
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator/=(const Dual& o) {
    const T inv = T(1) / o.val;
    val *= inv;
    for (int n = 0; n < N; ++n) d[n] = (d[n] - val * o.d[n]) * inv;
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
    for (int n = 0; n < N; ++n) d[n] *= s;
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator/=(T s) {
    const T inv = T(1) / s;
    return *this *= inv;
  }
};

template <class X>
struct is_dual : std::false_type {};
template <class T, int N>
struct is_dual<Dual<T, N>> : std::true_type {};

/// The value of a plain number or of a Dual (for tests of a scalar's sign,
/// printing, or code that must not differentiate through something).
KOKKOS_INLINE_FUNCTION double value(double x) { return x; }
template <class T, int N>
KOKKOS_INLINE_FUNCTION T value(const Dual<T, N>& x) {
  return x.val;
}

// Arithmetic. Scalars of any arithmetic type (int literals included) convert to T.
#define UNDERTOW_DUAL_ARITH(op, opassign)                                                       \
  template <class T, int N>                                                                     \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator op(Dual<T, N> a, const Dual<T, N>& b) {            \
    a opassign b;                                                                               \
    return a;                                                                                   \
  }                                                                                             \
  template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>    \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator op(Dual<T, N> a, S s) {                            \
    a opassign static_cast<T>(s);                                                               \
    return a;                                                                                   \
  }                                                                                             \
  template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>    \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator op(S s, const Dual<T, N>& b) {                     \
    Dual<T, N> a(static_cast<T>(s));                                                            \
    a opassign b;                                                                               \
    return a;                                                                                   \
  }
UNDERTOW_DUAL_ARITH(+, +=)
UNDERTOW_DUAL_ARITH(-, -=)
UNDERTOW_DUAL_ARITH(*, *=)
UNDERTOW_DUAL_ARITH(/, /=)
#undef UNDERTOW_DUAL_ARITH

template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator-(const Dual<T, N>& a) {
  Dual<T, N> r;
  r.val = -a.val;
  for (int n = 0; n < N; ++n) r.d[n] = -a.d[n];
  return r;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator+(const Dual<T, N>& a) {
  return a;
}

// Comparisons act on values: a branch is taken as the primal takes it.
#define UNDERTOW_DUAL_CMP(op)                                                                 \
  template <class T, int N>                                                                   \
  KOKKOS_INLINE_FUNCTION bool operator op(const Dual<T, N>& a, const Dual<T, N>& b) {         \
    return a.val op b.val;                                                                    \
  }                                                                                           \
  template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>  \
  KOKKOS_INLINE_FUNCTION bool operator op(const Dual<T, N>& a, S s) {                         \
    return a.val op static_cast<T>(s);                                                        \
  }                                                                                           \
  template <class T, int N, class S, class = std::enable_if_t<std::is_arithmetic<S>::value>>  \
  KOKKOS_INLINE_FUNCTION bool operator op(S s, const Dual<T, N>& b) {                         \
    return static_cast<T>(s) op b.val;                                                        \
  }
UNDERTOW_DUAL_CMP(<)
UNDERTOW_DUAL_CMP(>)
UNDERTOW_DUAL_CMP(<=)
UNDERTOW_DUAL_CMP(>=)
UNDERTOW_DUAL_CMP(==)
UNDERTOW_DUAL_CMP(!=)
#undef UNDERTOW_DUAL_CMP

}  // namespace undertow
