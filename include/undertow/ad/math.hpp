// Math functions for kernels, on plain doubles and on Dual numbers alike.
//
// Kernel bodies call `undertow::sqrt(x)`, `undertow::max(a, b)`, ... with x a
// double (primal run) or a Dual (tangent and adjoint runs); the same source works
// for both. The double versions forward to Kokkos' device-safe math
// (Kokkos::Experimental in 3.x, Kokkos in 4.x); the Dual versions apply the chain
// rule. The value of every Dual function is the double function of the value,
// bitwise (0, -0, subnormals, infinities and NaN included), so a tangent or adjoint
// run follows exactly the primal's branches.
//
// Where the derivative does not exist, the convention (documented in
// docs/kernels.md and tested in tests/ad/test_dual.cpp):
//   abs(x), fabs(x) at x = 0     slope +1 (the right-hand derivative);
//   min(a, b), max(a, b) on a tie the derivative of a (the value selects a);
//   sqrt(x) at 0, log(x) at 0,   slope +inf (the one-sided limit), and a direction
//   pow(x, p) at 0 for 0 < p < 1 that does not move x gives 0, not inf * 0 = NaN;
//   pow(x, 0)                    slope 0 everywhere, x = 0 included.
#pragma once

#include <Kokkos_Core.hpp>
#include <type_traits>

#include "undertow/ad/dual.hpp"

namespace undertow {
namespace kmath {
#if KOKKOS_VERSION >= 30700
using Kokkos::cos;
using Kokkos::exp;
using Kokkos::fabs;
using Kokkos::log;
using Kokkos::pow;
using Kokkos::sin;
using Kokkos::sqrt;
using Kokkos::tanh;
#else
using Kokkos::Experimental::cos;
using Kokkos::Experimental::exp;
using Kokkos::Experimental::fabs;
using Kokkos::Experimental::log;
using Kokkos::Experimental::pow;
using Kokkos::Experimental::sin;
using Kokkos::Experimental::sqrt;
using Kokkos::Experimental::tanh;
#endif
}  // namespace kmath

// ---- plain doubles ----
// Templates constrained to floating-point types rather than plain `double`
// overloads: a file that says `using namespace undertow;` and calls `sqrt(x)`
// then gets the standard (non-template) function without an ambiguity, on the
// host and in CUDA device code alike, while `undertow::sqrt(x)` and unqualified
// calls inside namespace undertow still reach the device-safe Kokkos versions.
namespace detail {
template <class T>
using if_floating = std::enable_if_t<std::is_floating_point<T>::value, T>;
/// Two arithmetic types, at least one floating-point (max(x, 0) with x a double).
template <class A, class B>
using if_floating_pair = std::enable_if_t<std::is_arithmetic<A>::value && std::is_arithmetic<B>::value &&
                                              (std::is_floating_point<A>::value || std::is_floating_point<B>::value),
                                          std::common_type_t<A, B>>;
}  // namespace detail

template <class T>
KOKKOS_INLINE_FUNCTION detail::if_floating<T> sqrt(T x) {
  return kmath::sqrt(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION detail::if_floating<T> exp(T x) {
  return kmath::exp(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION detail::if_floating<T> log(T x) {
  return kmath::log(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION detail::if_floating<T> pow(T x, double p) {
  return kmath::pow(x, p);
}
template <class T>
KOKKOS_INLINE_FUNCTION detail::if_floating<T> abs(T x) {
  return kmath::fabs(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION detail::if_floating<T> fabs(T x) {
  return kmath::fabs(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION detail::if_floating<T> tanh(T x) {
  return kmath::tanh(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION detail::if_floating<T> sin(T x) {
  return kmath::sin(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION detail::if_floating<T> cos(T x) {
  return kmath::cos(x);
}
template <class A, class B>
KOKKOS_INLINE_FUNCTION detail::if_floating_pair<A, B> min(A a, B b) {
  using R = detail::if_floating_pair<A, B>;
  return R(b) < R(a) ? R(b) : R(a);
}
template <class A, class B>
KOKKOS_INLINE_FUNCTION detail::if_floating_pair<A, B> max(A a, B b) {
  using R = detail::if_floating_pair<A, B>;
  return R(a) < R(b) ? R(b) : R(a);
}

// ---- Dual numbers: value and chain rule ----
namespace detail {
/// f(a) with f'(a.val) = slope.
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> chain(const Dual<T, N>& a, T f, T slope) {
  Dual<T, N> r;
  r.val = f;
  for (int n = 0; n < N; ++n) r.d[n] = zmul(slope, a.d[n]);
  return r;
}
/// chain() for a slope that may be infinite (sqrt, log, pow at 0): a direction
/// that does not move a contributes 0 instead of inf * 0 = NaN.
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> chain_singular(const Dual<T, N>& a, T f, T slope) {
  Dual<T, N> r;
  r.val = f;
  for (int n = 0; n < N; ++n) r.d[n] = a.d[n] == T(0) ? T(0) : zmul(slope, a.d[n]);
  return r;
}
}  // namespace detail

template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> sqrt(const Dual<T, N>& a) {
  const T s = kmath::sqrt(a.val);
  return detail::chain_singular(a, s, T(0.5) / s);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> exp(const Dual<T, N>& a) {
  const T e = kmath::exp(a.val);
  return detail::chain(a, e, e);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> log(const Dual<T, N>& a) {
  return detail::chain_singular(a, T(kmath::log(a.val)), T(1) / a.val);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> pow(const Dual<T, N>& a, double p) {
  // The value as the double pow computes it (not pow(a, p - 1) * a, which rounds
  // differently and is 0 * inf = NaN at a = 0 for p < 1).
  const T slope = p == 0 ? T(0) : T(p) * T(kmath::pow(a.val, p - 1));
  return detail::chain_singular(a, T(kmath::pow(a.val, p)), slope);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> pow(const Dual<T, N>& a, const Dual<T, N>& b) {
  // d(a^b) = b a^(b-1) da + a^b log(a) db; each term only where its direction moves
  // (log a is NaN for a < 0, where only integer b, constant in b, make sense).
  Dual<T, N> r;
  r.val = kmath::pow(a.val, b.val);
  const T slope_a = b.val == T(0) ? T(0) : b.val * T(kmath::pow(a.val, b.val - T(1)));
  const T slope_b = r.val * T(kmath::log(a.val));
  for (int n = 0; n < N; ++n) {
    const T from_a = a.d[n] == T(0) ? T(0) : detail::zmul(slope_a, a.d[n]);
    const T from_b = b.d[n] == T(0) ? T(0) : detail::zmul(slope_b, b.d[n]);
    r.d[n] = from_a + from_b;
  }
  return r;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> pow(double a, const Dual<T, N>& b) {
  const T r = kmath::pow(T(a), b.val);
  return detail::chain_singular(b, r, r * T(kmath::log(T(a))));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> abs(const Dual<T, N>& a) {
  // Multiplying the derivative by the sign rather than choosing between a and -a
  // keeps the code branch-free (vectorisable) and structural zeros zero; the value
  // is fabs's (|-0| = +0).
  const T sign = a.val < 0 ? T(-1) : T(1);
  Dual<T, N> r;
  r.val = kmath::fabs(a.val);
  for (int n = 0; n < N; ++n) r.d[n] = detail::zmul(a.d[n], sign);
  return r;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> fabs(const Dual<T, N>& a) {
  return abs(a);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> tanh(const Dual<T, N>& a) {
  const T t = kmath::tanh(a.val);
  return detail::chain(a, t, T(1) - t * t);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> sin(const Dual<T, N>& a) {
  return detail::chain(a, T(kmath::sin(a.val)), T(kmath::cos(a.val)));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> cos(const Dual<T, N>& a) {
  return detail::chain(a, T(kmath::cos(a.val)), T(-kmath::sin(a.val)));
}
namespace detail {
/// take_b ? b : a, element by element: selects compile to blends, not branches.
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> select(bool take_b, const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r;
  r.val = take_b ? b.val : a.val;
  for (int n = 0; n < N; ++n) r.d[n] = take_b ? b.d[n] : a.d[n];
  return r;
}
}  // namespace detail

template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> min(const Dual<T, N>& a, const Dual<T, N>& b) {
  return detail::select(b.val < a.val, a, b);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> max(const Dual<T, N>& a, const Dual<T, N>& b) {
  return detail::select(a.val < b.val, a, b);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> min(const Dual<T, N>& a, double b) {
  return detail::select(b < a.val, a, Dual<T, N>(b));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> min(double a, const Dual<T, N>& b) {
  // Not min(b, a): with a NaN argument the double min returns its first argument.
  return detail::select(b.val < a, Dual<T, N>(a), b);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> max(const Dual<T, N>& a, double b) {
  return detail::select(a.val < b, a, Dual<T, N>(b));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> max(double a, const Dual<T, N>& b) {
  return detail::select(a < b.val, Dual<T, N>(a), b);
}

}  // namespace undertow

// The local reverse scalar (Adj) and its tape: declared after everything above so
// that kernel bodies calling undertow::sqrt(x) etc. see their overloads too.
#include "undertow/ad/local_reverse.hpp"
