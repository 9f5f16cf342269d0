// Local reverse mode: one recorded evaluation of a kernel at one cell, one reverse
// sweep, the gradient of sum_o out_bar_o * out_o with respect to every input the
// evaluation read (DESIGN.md section 6).
//
// `LocalTape<Cap>` is a fixed-capacity record on the thread's stack (no heap, no
// globals, device code): one entry per operation, with at most two (argument,
// partial) pairs. `Adj<Cap>` is the scalar a kernel body runs on: its value (the
// double the primal computes, bitwise: every operation and function computes its
// value exactly as the double version does), the index of its entry (-1: passive,
// a constant) and the tape it records on. Operations on passive values record
// nothing. When the capacity is exceeded the tape stops recording and says so
// (`overflowed()`); the caller turns that into an error naming the kernel (a
// gradient from an overflowed tape is wrong and must not be used).
//
// This header is included by undertow/ad/math.hpp, so that the qualified calls of
// kernel bodies (`undertow::sqrt(x)`) find the Adj overloads wherever the kernels
// are defined. Non-smooth functions follow the Dual conventions (math.hpp).
#pragma once

#include <Kokkos_Core.hpp>

#include "undertow/ad/math.hpp"

namespace undertow {

template <int Cap>
struct LocalTape {
  static_assert(Cap >= 1, "LocalTape needs a positive capacity");
  static constexpr int capacity = Cap;
  int size = 0;
  bool overflow = false;
  int arg[Cap][2];
  double partial[Cap][2];

  /// A new entry with arguments a0, a1 (-1: none) and their partials; -1 when full.
  KOKKOS_INLINE_FUNCTION int push(int a0, double p0, int a1, double p1) {
    if (size >= Cap) {
      overflow = true;
      return -1;
    }
    arg[size][0] = a0;
    partial[size][0] = p0;
    arg[size][1] = a1;
    partial[size][1] = p1;
    return size++;
  }
  KOKKOS_INLINE_FUNCTION bool overflowed() const { return overflow; }
  /// The reverse sweep: `adjoint` holds one value per entry (size() of them), seeded
  /// at the outputs; afterwards entry i holds d(seeded sum) / d(entry i). Entries
  /// whose adjoint is zero are skipped, so an infinite partial along a direction
  /// that carries nothing gives 0, not NaN (the Dual convention).
  KOKKOS_INLINE_FUNCTION void reverse(double* adjoint) const {
    for (int i = size - 1; i >= 0; --i) {
      const double a = adjoint[i];
      if (a == 0.0) continue;
      if (arg[i][0] >= 0) adjoint[arg[i][0]] += partial[i][0] * a;
      if (arg[i][1] >= 0) adjoint[arg[i][1]] += partial[i][1] * a;
    }
  }
};

template <int Cap>
struct Adj {
  using value_type = double;
  using tape_type = LocalTape<Cap>;
  double val = 0.0;
  int idx = -1;               // entry on the tape, -1: passive
  tape_type* tape = nullptr;  // the tape of an active value

  KOKKOS_INLINE_FUNCTION Adj() {}
  KOKKOS_INLINE_FUNCTION Adj(double value) : val(value) {}  // NOLINT(google-explicit-constructor): a constant
  /// An independent variable: a new entry on `t`.
  KOKKOS_INLINE_FUNCTION static Adj input(double value, tape_type& t) {
    Adj x(value);
    x.tape = &t;
    x.idx = t.push(-1, 0.0, -1, 0.0);
    return x;
  }
  KOKKOS_INLINE_FUNCTION bool active() const { return idx >= 0; }

  KOKKOS_INLINE_FUNCTION Adj& operator+=(const Adj& o);
  KOKKOS_INLINE_FUNCTION Adj& operator-=(const Adj& o);
  KOKKOS_INLINE_FUNCTION Adj& operator*=(const Adj& o);
  KOKKOS_INLINE_FUNCTION Adj& operator/=(const Adj& o);
};

namespace detail {
/// The result value v of an operation on a (partial pa) and b (partial pb).
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> record(double v, const Adj<Cap>& a, double pa, const Adj<Cap>& b, double pb) {
  Adj<Cap> r(v);
  LocalTape<Cap>* t = a.active() ? a.tape : b.tape;
  if (!a.active() && !b.active()) return r;
  r.tape = t;
  r.idx = t->push(a.idx, a.active() ? pa : 0.0, b.idx, b.active() ? pb : 0.0);
  return r;
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> record(double v, const Adj<Cap>& a, double pa) {
  Adj<Cap> r(v);
  if (!a.active()) return r;
  r.tape = a.tape;
  r.idx = a.tape->push(a.idx, pa, -1, 0.0);
  return r;
}
}  // namespace detail

template <int Cap>
KOKKOS_INLINE_FUNCTION double value(const Adj<Cap>& x) {
  return x.val;
}

// ---- arithmetic (values as double code computes them) ----
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator+(const Adj<Cap>& a, const Adj<Cap>& b) {
  return detail::record(a.val + b.val, a, 1.0, b, 1.0);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator-(const Adj<Cap>& a, const Adj<Cap>& b) {
  return detail::record(a.val - b.val, a, 1.0, b, -1.0);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator*(const Adj<Cap>& a, const Adj<Cap>& b) {
  return detail::record(a.val * b.val, a, b.val, b, a.val);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator/(const Adj<Cap>& a, const Adj<Cap>& b) {
  const double q = a.val / b.val;
  return detail::record(q, a, 1.0 / b.val, b, -q / b.val);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator+(const Adj<Cap>& a, double s) {
  return detail::record(a.val + s, a, 1.0);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator+(double s, const Adj<Cap>& a) {
  return detail::record(s + a.val, a, 1.0);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator-(const Adj<Cap>& a, double s) {
  return detail::record(a.val - s, a, 1.0);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator-(double s, const Adj<Cap>& a) {
  return detail::record(s - a.val, a, -1.0);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator*(const Adj<Cap>& a, double s) {
  return detail::record(a.val * s, a, s);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator*(double s, const Adj<Cap>& a) {
  return detail::record(s * a.val, a, s);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator/(const Adj<Cap>& a, double s) {
  return detail::record(a.val / s, a, 1.0 / s);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator/(double s, const Adj<Cap>& a) {
  const double q = s / a.val;
  return detail::record(q, a, -q / a.val);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator-(const Adj<Cap>& a) {
  return detail::record(-a.val, a, -1.0);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> operator+(const Adj<Cap>& a) {
  return a;
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap>& Adj<Cap>::operator+=(const Adj<Cap>& o) {
  return *this = *this + o;
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap>& Adj<Cap>::operator-=(const Adj<Cap>& o) {
  return *this = *this - o;
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap>& Adj<Cap>::operator*=(const Adj<Cap>& o) {
  return *this = *this * o;
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap>& Adj<Cap>::operator/=(const Adj<Cap>& o) {
  return *this = *this / o;
}

// ---- comparisons: values only (a branch goes the primal's way) ----
#define UNDERTOW_ADJ_COMPARE(op)                                                  \
  template <int Cap>                                                              \
  KOKKOS_INLINE_FUNCTION bool operator op(const Adj<Cap>& a, const Adj<Cap>& b) { \
    return a.val op b.val;                                                        \
  }                                                                               \
  template <int Cap>                                                              \
  KOKKOS_INLINE_FUNCTION bool operator op(const Adj<Cap>& a, double s) {          \
    return a.val op s;                                                            \
  }                                                                               \
  template <int Cap>                                                              \
  KOKKOS_INLINE_FUNCTION bool operator op(double s, const Adj<Cap>& b) {          \
    return s op b.val;                                                            \
  }
UNDERTOW_ADJ_COMPARE(<)
UNDERTOW_ADJ_COMPARE(<=)
UNDERTOW_ADJ_COMPARE(>)
UNDERTOW_ADJ_COMPARE(>=)
UNDERTOW_ADJ_COMPARE(==)
UNDERTOW_ADJ_COMPARE(!=)
#undef UNDERTOW_ADJ_COMPARE

// ---- functions (values and conventions as in math.hpp) ----
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> sqrt(const Adj<Cap>& a) {
  const double s = kmath::sqrt(a.val);
  return detail::record(s, a, 0.5 / s);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> exp(const Adj<Cap>& a) {
  const double e = kmath::exp(a.val);
  return detail::record(e, a, e);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> log(const Adj<Cap>& a) {
  return detail::record(double(kmath::log(a.val)), a, 1.0 / a.val);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> pow(const Adj<Cap>& a, double p) {
  const double slope = p == 0 ? 0.0 : p * double(kmath::pow(a.val, p - 1));
  return detail::record(double(kmath::pow(a.val, p)), a, slope);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> pow(double a, const Adj<Cap>& b) {
  const double r = kmath::pow(a, b.val);
  return detail::record(r, b, r * double(kmath::log(a)));
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> pow(const Adj<Cap>& a, const Adj<Cap>& b) {
  const double r = kmath::pow(a.val, b.val);
  const double slope_a = b.val == 0.0 ? 0.0 : b.val * double(kmath::pow(a.val, b.val - 1.0));
  // log(a) only where the exponent is active (a < 0 with a constant integer exponent).
  const double slope_b = b.active() ? r * double(kmath::log(a.val)) : 0.0;
  return detail::record(r, a, slope_a, b, slope_b);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> abs(const Adj<Cap>& a) {
  return detail::record(double(kmath::fabs(a.val)), a, a.val < 0 ? -1.0 : 1.0);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> fabs(const Adj<Cap>& a) {
  return abs(a);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> tanh(const Adj<Cap>& a) {
  const double t = kmath::tanh(a.val);
  return detail::record(t, a, 1.0 - t * t);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> sin(const Adj<Cap>& a) {
  return detail::record(double(kmath::sin(a.val)), a, double(kmath::cos(a.val)));
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> cos(const Adj<Cap>& a) {
  return detail::record(double(kmath::cos(a.val)), a, -double(kmath::sin(a.val)));
}
// min/max select like the double versions: b < a ? b : a, a < b ? b : a (ties and
// NaN: the first argument).
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> min(const Adj<Cap>& a, const Adj<Cap>& b) {
  return b.val < a.val ? b : a;
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> max(const Adj<Cap>& a, const Adj<Cap>& b) {
  return a.val < b.val ? b : a;
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> min(const Adj<Cap>& a, double b) {
  return b < a.val ? Adj<Cap>(b) : a;
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> min(double a, const Adj<Cap>& b) {
  return b.val < a ? b : Adj<Cap>(a);
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> max(const Adj<Cap>& a, double b) {
  return a.val < b ? Adj<Cap>(b) : a;
}
template <int Cap>
KOKKOS_INLINE_FUNCTION Adj<Cap> max(double a, const Adj<Cap>& b) {
  return a < b.val ? b : Adj<Cap>(a);
}

}  // namespace undertow
