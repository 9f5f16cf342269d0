// Local reverse mode: one recorded evaluation of a kernel at one cell, one reverse
// sweep, the gradient of sum_o out_bar_o * out_o with respect to every input the
// evaluation read (DESIGN.md section 6).
//
// `Adj<Cap>` is the scalar a kernel body runs on: its value (the double the primal
// computes, bitwise: every operation and function computes its value exactly as
// the double version does), the index of its statement on the tape (`sink` when
// passive: a constant) and the tape it records on. Arithmetic on Adj numbers
// builds expression templates (as CoDiPack and Sacado do) that carry their value
// and the partial derivatives of their last operation; assigning an expression to
// an Adj records ONE statement: the active leaves of the whole right-hand side
// with their accumulated partials (statement-level preaccumulation). A line such
// as `f = (a * u + b * v - s * (b - a)) * 0.5` is one tape statement with six
// (argument, partial) pairs instead of seven single operations, and the reverse
// sweep, a chain through memory, gets that much shorter.
//
// `LocalTape<Cap>` is a fixed-capacity record on the thread's stack (no heap, no
// globals, device code): at most Cap statements and ArgCap (argument, partial)
// pairs. When either is exceeded the tape stops recording and says so
// (`overflowed()`); values stay right, derivatives are incomplete and must not be
// used (callers fall back to another method or report the kernel).
//
// Conventions (as Dual's, math.hpp): a path through an exact zero factor carries
// nothing (0 * inf = 0: sqrt at 0 along a direction that does not move it gives
// 0, not NaN); non-smooth functions take the same one-sided slopes; min/max
// select like the double versions. Expressions hold their operands by value, so
// `auto e = a + b;` is safe (it records when it is assigned or used).
//
// This header is included by undertow/ad/math.hpp, so that the qualified calls of
// kernel bodies (`undertow::sqrt(x)`) find the Adj overloads wherever the kernels
// are defined.
#pragma once

#include <Kokkos_Core.hpp>
#include <type_traits>

#include "undertow/ad/math.hpp"

namespace undertow {

namespace detail {
/// m * p where an exact zero factor gives 0 even against inf or NaN: the product
/// along one path of the chain rule.
KOKKOS_FORCEINLINE_FUNCTION double path(double m, double p) {
  return (m == 0.0 || p == 0.0) ? 0.0 : m * p;
}
/// The product of a statement's push: `path` below a function whose partial may be
/// infinite (Guard), a plain product elsewhere (every factor finite).
template <bool Guard>
KOKKOS_FORCEINLINE_FUNCTION double product(double m, double p) {
  if constexpr (Guard) {
    return path(m, p);
  } else {
    return m * p;
  }
}
}  // namespace detail

template <int Cap, int ArgCap = 4 * Cap>
struct LocalTape {
  static_assert(Cap >= 1 && ArgCap >= 1, "LocalTape needs a positive capacity");
  static constexpr int capacity = Cap;
  static constexpr int arg_capacity = ArgCap;
  /// The adjoint slot of passive values: written by the sweep, never read.
  static constexpr int sink = Cap;
  int size = 0;   // statements
  int nargs = 0;  // (argument, partial) pairs
  bool overflow = false;
  int first_arg[Cap + 1];  // statement i's pairs: [first_arg[i], first_arg[i + 1])
  int arg[ArgCap];
  double partial[ArgCap];

  KOKKOS_INLINE_FUNCTION LocalTape() { first_arg[0] = 0; }
  /// `count` independent variables (statements without arguments) at once.
  KOKKOS_INLINE_FUNCTION void add_inputs(int count) {
    if (size + count > Cap) {
      overflow = true;
      return;
    }
    for (int i = 1; i <= count; ++i) first_arg[size + i] = nargs;
    size += count;
  }
  KOKKOS_INLINE_FUNCTION bool overflowed() const { return overflow; }
  KOKKOS_FORCEINLINE_FUNCTION void put(int a, double p) {
    arg[nargs] = a;
    partial[nargs] = p;
    ++nargs;
  }
  /// The reverse sweep: `adjoint` holds Cap + 1 values (entry Cap is the sink, the
  /// entries from size() on are never read), seeded at the outputs; afterwards
  /// entry i holds d(seeded sum) / d(statement i). Statements whose adjoint is
  /// zero pass nothing on.
  KOKKOS_INLINE_FUNCTION void reverse(double* adjoint) const {
    for (int i = size - 1; i >= 0; --i) {
      const double a = adjoint[i];
      if (a == 0.0) continue;
      for (int j = first_arg[i]; j < first_arg[i + 1]; ++j) {
        const double p = partial[j];  // a != 0 here: only a zero partial needs the path rule
        adjoint[arg[j]] += p == 0.0 ? 0.0 : p * a;
      }
    }
  }
  /// The sweep for M seeds at once (a vector reverse): `adjoint` holds (Cap + 1) M
  /// values, statement i's M adjoints at [i M, i M + M). Each seed gets what
  /// reverse() gives it alone, up to the sign of zeros: a zero adjoint passes
  /// nothing on, seed by seed (an infinite partial times a zero adjoint is not a
  /// NaN). The recording is shared; the inner loop over seeds vectorises.
  template <int M>
  KOKKOS_INLINE_FUNCTION void reverse_seeds(double* adjoint) const {
    if constexpr (M == 1) {
      reverse(adjoint);
    } else {
      for (int i = size - 1; i >= 0; --i) {
        double a[M];
        bool any = false;
        for (int m = 0; m < M; ++m) {
          a[m] = adjoint[i * M + m];
          any = any || a[m] != 0.0;
        }
        if (!any) continue;
        for (int j = first_arg[i]; j < first_arg[i + 1]; ++j) {
          const double p = partial[j];
          double* target = adjoint + arg[j] * M;
          for (int m = 0; m < M; ++m) target[m] += (p == 0.0 || a[m] == 0.0) ? 0.0 : p * a[m];
        }
      }
    }
  }
};

/// Every expression over Adj<Cap> numbers (CRTP). An expression E has `val`, the
/// compile-time count `leaves`, `tape()` (the tape of any active leaf, or null)
/// and `push(tape, m)`, which records m * d E / d leaf for each leaf.
template <int Cap, class E>
struct AdjExpr {
  KOKKOS_FORCEINLINE_FUNCTION const E& self() const { return static_cast<const E&>(*this); }
};

template <int Cap>
struct Adj : AdjExpr<Cap, Adj<Cap>> {
  using value_type = double;
  using tape_type = LocalTape<Cap>;
  static constexpr int leaves = 1;
  double val = 0.0;
  int idx = tape_type::sink;  // statement on the tape; sink: passive
  tape_type* tp = nullptr;    // the tape of an active value

  KOKKOS_INLINE_FUNCTION Adj() {}
  KOKKOS_INLINE_FUNCTION Adj(double value) : val(value) {}  // NOLINT(google-explicit-constructor): a constant
  KOKKOS_FORCEINLINE_FUNCTION Adj(double value, int index, tape_type* tape) : val(value), idx(index), tp(tape) {}
  /// One statement: the expression's value, its leaves and partials.
  template <class E>
  KOKKOS_FORCEINLINE_FUNCTION Adj(const AdjExpr<Cap, E>& e) {  // NOLINT(google-explicit-constructor)
    record(e.self());
  }
  template <class E>
  KOKKOS_FORCEINLINE_FUNCTION Adj& operator=(const AdjExpr<Cap, E>& e) {
    record(e.self());
    return *this;
  }
  /// An independent variable: a new statement without arguments on `t`.
  KOKKOS_INLINE_FUNCTION static Adj input(double value, tape_type& t) {
    t.add_inputs(1);
    return Adj(value, t.overflow ? tape_type::sink : t.size - 1, &t);
  }
  KOKKOS_INLINE_FUNCTION bool active() const { return idx != tape_type::sink; }
  KOKKOS_FORCEINLINE_FUNCTION static Adj constant(double v) { return Adj(v); }
  KOKKOS_FORCEINLINE_FUNCTION static Adj embed(const Adj& r) { return r; }
  KOKKOS_FORCEINLINE_FUNCTION tape_type* tape() const { return tp; }
  template <bool Guard>
  KOKKOS_FORCEINLINE_FUNCTION void push(tape_type& t, double m) const {
    t.put(idx, m);
  }

  template <class E>
  KOKKOS_FORCEINLINE_FUNCTION Adj& operator+=(const AdjExpr<Cap, E>& o) {
    return *this = *this + o;
  }
  template <class E>
  KOKKOS_FORCEINLINE_FUNCTION Adj& operator-=(const AdjExpr<Cap, E>& o) {
    return *this = *this - o;
  }
  template <class E>
  KOKKOS_FORCEINLINE_FUNCTION Adj& operator*=(const AdjExpr<Cap, E>& o) {
    return *this = *this * o;
  }
  template <class E>
  KOKKOS_FORCEINLINE_FUNCTION Adj& operator/=(const AdjExpr<Cap, E>& o) {
    return *this = *this / o;
  }
  KOKKOS_FORCEINLINE_FUNCTION Adj& operator+=(double s) { return *this = *this + s; }
  KOKKOS_FORCEINLINE_FUNCTION Adj& operator-=(double s) { return *this = *this - s; }
  KOKKOS_FORCEINLINE_FUNCTION Adj& operator*=(double s) { return *this = *this * s; }
  KOKKOS_FORCEINLINE_FUNCTION Adj& operator/=(double s) { return *this = *this / s; }

 private:
  template <class E>
  KOKKOS_FORCEINLINE_FUNCTION void record(const E& e) {
    tape_type* t = e.tape();
    const double v = e.val;
    val = v;
    tp = t;
    idx = tape_type::sink;
    if (!t) return;  // no active leaf: a constant
    if (t->size >= Cap || t->nargs + E::leaves > tape_type::arg_capacity) {
      t->overflow = true;
      return;
    }
    e.template push<false>(*t, 1.0);
    t->first_arg[t->size + 1] = t->nargs;
    idx = t->size++;
  }
};

namespace detail {
template <int Cap, class E>
using if_not_adj = std::enable_if_t<!std::is_same<E, Adj<Cap>>::value, int>;

// Expression types are also closed under construction, so that a generic helper
// whose scalar type is deduced from an expression argument (`template <class S> S
// slope(const S& a, const S& b)` called as slope(x - y, z - x)) still compiles:
// S(0.0) is a constant of that shape, and any other expression converts to it by
// recording a statement and embedding its result (partial 1 along the first leaf).
#define UNDERTOW_ADJ_EXPRESSION_CONVERSIONS(X)                         \
  KOKKOS_FORCEINLINE_FUNCTION explicit X(double v) : X(constant(v)) {} \
  template <class E, if_not_adj<Cap, E> = 0>                           \
  KOKKOS_FORCEINLINE_FUNCTION X(const AdjExpr<Cap, E>& e) /* NOLINT */ \
      : X(embed(Adj<Cap>(e))) {}                                       \
  template <class E>                                                   \
  KOKKOS_FORCEINLINE_FUNCTION X& operator=(const AdjExpr<Cap, E>& e) { \
    return *this = embed(Adj<Cap>(e));                                 \
  }                                                                    \
  KOKKOS_FORCEINLINE_FUNCTION X& operator=(double v) {                 \
    return *this = constant(v);                                        \
  }                                                                    \
  X(const X&) = default;                                               \
  X& operator=(const X&) = default;

/// An operation on two expressions, with its value and the partials of its value.
template <int Cap, class A, class B, bool Singular = false>
struct AdjBinary : AdjExpr<Cap, AdjBinary<Cap, A, B, Singular>> {
  static constexpr int leaves = A::leaves + B::leaves;
  A a;
  B b;
  double val, da, db;
  KOKKOS_FORCEINLINE_FUNCTION AdjBinary(const A& a_, const B& b_, double v, double da_, double db_)
      : a(a_), b(b_), val(v), da(da_), db(db_) {}
  KOKKOS_FORCEINLINE_FUNCTION static AdjBinary constant(double v) {
    return AdjBinary(A::constant(v), B::constant(0.0), v, 0.0, 0.0);
  }
  KOKKOS_FORCEINLINE_FUNCTION static AdjBinary embed(const Adj<Cap>& r) {
    return AdjBinary(A::embed(r), B::constant(0.0), r.val, 1.0, 0.0);
  }
  UNDERTOW_ADJ_EXPRESSION_CONVERSIONS(AdjBinary)
  KOKKOS_FORCEINLINE_FUNCTION LocalTape<Cap>* tape() const {
    LocalTape<Cap>* t = a.tape();
    return t ? t : b.tape();
  }
  template <bool Guard>
  KOKKOS_FORCEINLINE_FUNCTION void push(LocalTape<Cap>& t, double m) const {
    a.template push<Guard || Singular>(t, product < Guard || Singular > (m, da));
    b.template push<Guard || Singular>(t, product < Guard || Singular > (m, db));
  }
};
/// An operation on one expression (the other operand, if any, a double).
/// Singular: its partial may be infinite (sqrt, log, pow at 0).
template <int Cap, class A, bool Singular = false>
struct AdjUnary : AdjExpr<Cap, AdjUnary<Cap, A, Singular>> {
  static constexpr int leaves = A::leaves;
  A a;
  double val, da;
  KOKKOS_FORCEINLINE_FUNCTION AdjUnary(const A& a_, double v, double da_) : a(a_), val(v), da(da_) {}
  KOKKOS_FORCEINLINE_FUNCTION static AdjUnary constant(double v) { return AdjUnary(A::constant(v), v, 0.0); }
  KOKKOS_FORCEINLINE_FUNCTION static AdjUnary embed(const Adj<Cap>& r) { return AdjUnary(A::embed(r), r.val, 1.0); }
  UNDERTOW_ADJ_EXPRESSION_CONVERSIONS(AdjUnary)
  KOKKOS_FORCEINLINE_FUNCTION LocalTape<Cap>* tape() const { return a.tape(); }
  template <bool Guard>
  KOKKOS_FORCEINLINE_FUNCTION void push(LocalTape<Cap>& t, double m) const {
    a.template push<Guard || Singular>(t, product < Guard || Singular > (m, da));
  }
};
/// min/max of two expressions: the value and the derivative of the one selected.
template <int Cap, class A, class B>
struct AdjSelect : AdjExpr<Cap, AdjSelect<Cap, A, B>> {
  static constexpr int leaves = A::leaves + B::leaves;
  A a;
  B b;
  bool second;
  double val;
  KOKKOS_FORCEINLINE_FUNCTION AdjSelect(const A& a_, const B& b_, bool pick_b)
      : a(a_), b(b_), second(pick_b), val(pick_b ? b_.val : a_.val) {}
  KOKKOS_FORCEINLINE_FUNCTION static AdjSelect constant(double v) {
    return AdjSelect(A::constant(v), B::constant(v), false);
  }
  KOKKOS_FORCEINLINE_FUNCTION static AdjSelect embed(const Adj<Cap>& r) {
    return AdjSelect(A::embed(r), B::constant(0.0), false);
  }
  UNDERTOW_ADJ_EXPRESSION_CONVERSIONS(AdjSelect)
  KOKKOS_FORCEINLINE_FUNCTION LocalTape<Cap>* tape() const { return second ? b.tape() : a.tape(); }
  template <bool Guard>
  KOKKOS_FORCEINLINE_FUNCTION void push(LocalTape<Cap>& t, double m) const {
    if (second) {
      b.template push<Guard>(t, m);
    } else {
      a.template push<Guard>(t, m);
    }
  }
};
/// min/max of an expression and a double: the expression or a constant.
template <int Cap, class A>
struct AdjClip : AdjExpr<Cap, AdjClip<Cap, A>> {
  static constexpr int leaves = A::leaves;
  A a;
  bool clipped;  // the constant was selected
  double val;
  KOKKOS_FORCEINLINE_FUNCTION AdjClip(const A& a_, bool take_constant, double c)
      : a(a_), clipped(take_constant), val(take_constant ? c : a_.val) {}
  KOKKOS_FORCEINLINE_FUNCTION static AdjClip constant(double v) { return AdjClip(A::constant(v), true, v); }
  KOKKOS_FORCEINLINE_FUNCTION static AdjClip embed(const Adj<Cap>& r) { return AdjClip(A::embed(r), false, 0.0); }
  UNDERTOW_ADJ_EXPRESSION_CONVERSIONS(AdjClip)
  KOKKOS_FORCEINLINE_FUNCTION LocalTape<Cap>* tape() const { return clipped ? nullptr : a.tape(); }
  template <bool Guard>
  KOKKOS_FORCEINLINE_FUNCTION void push(LocalTape<Cap>& t, double m) const {
    if (!clipped) a.template push<Guard>(t, m);
  }
};
#undef UNDERTOW_ADJ_EXPRESSION_CONVERSIONS
template <int Cap, class A, class B, bool Singular = false>
KOKKOS_FORCEINLINE_FUNCTION AdjBinary<Cap, A, B, Singular> binary(const A& a, const B& b, double v, double da,
                                                                  double db) {
  return AdjBinary<Cap, A, B, Singular>(a, b, v, da, db);
}
template <int Cap, class A, bool Singular = false>
KOKKOS_FORCEINLINE_FUNCTION AdjUnary<Cap, A, Singular> unary(const A& a, double v, double da) {
  return AdjUnary<Cap, A, Singular>(a, v, da);
}
}  // namespace detail

template <int Cap, class E>
KOKKOS_FORCEINLINE_FUNCTION double value(const AdjExpr<Cap, E>& x) {
  return x.self().val;
}

// ---- arithmetic (values as double code computes them) ----
template <int Cap, class A, class B>
KOKKOS_FORCEINLINE_FUNCTION auto operator+(const AdjExpr<Cap, A>& x, const AdjExpr<Cap, B>& y) {
  return detail::binary<Cap>(x.self(), y.self(), x.self().val + y.self().val, 1.0, 1.0);
}
template <int Cap, class A, class B>
KOKKOS_FORCEINLINE_FUNCTION auto operator-(const AdjExpr<Cap, A>& x, const AdjExpr<Cap, B>& y) {
  return detail::binary<Cap>(x.self(), y.self(), x.self().val - y.self().val, 1.0, -1.0);
}
template <int Cap, class A, class B>
KOKKOS_FORCEINLINE_FUNCTION auto operator*(const AdjExpr<Cap, A>& x, const AdjExpr<Cap, B>& y) {
  const double a = x.self().val, b = y.self().val;
  return detail::binary<Cap>(x.self(), y.self(), a * b, b, a);
}
template <int Cap, class A, class B>
KOKKOS_FORCEINLINE_FUNCTION auto operator/(const AdjExpr<Cap, A>& x, const AdjExpr<Cap, B>& y) {
  const double b = y.self().val, q = x.self().val / b;
  return detail::binary<Cap>(x.self(), y.self(), q, 1.0 / b, -q / b);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto operator+(const AdjExpr<Cap, A>& x, double s) {
  return detail::unary<Cap>(x.self(), x.self().val + s, 1.0);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto operator+(double s, const AdjExpr<Cap, A>& x) {
  return detail::unary<Cap>(x.self(), s + x.self().val, 1.0);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto operator-(const AdjExpr<Cap, A>& x, double s) {
  return detail::unary<Cap>(x.self(), x.self().val - s, 1.0);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto operator-(double s, const AdjExpr<Cap, A>& x) {
  return detail::unary<Cap>(x.self(), s - x.self().val, -1.0);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto operator*(const AdjExpr<Cap, A>& x, double s) {
  return detail::unary<Cap>(x.self(), x.self().val * s, s);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto operator*(double s, const AdjExpr<Cap, A>& x) {
  return detail::unary<Cap>(x.self(), s * x.self().val, s);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto operator/(const AdjExpr<Cap, A>& x, double s) {
  return detail::unary<Cap>(x.self(), x.self().val / s, 1.0 / s);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto operator/(double s, const AdjExpr<Cap, A>& x) {
  const double a = x.self().val, q = s / a;
  return detail::unary<Cap>(x.self(), q, -q / a);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto operator-(const AdjExpr<Cap, A>& x) {
  return detail::unary<Cap>(x.self(), -x.self().val, -1.0);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION const A& operator+(const AdjExpr<Cap, A>& x) {
  return x.self();
}

// ---- comparisons: values only (a branch goes the primal's way) ----
#define UNDERTOW_ADJ_COMPARE(op)                                                                     \
  template <int Cap, class A, class B>                                                               \
  KOKKOS_FORCEINLINE_FUNCTION bool operator op(const AdjExpr<Cap, A>& a, const AdjExpr<Cap, B>& b) { \
    return a.self().val op b.self().val;                                                             \
  }                                                                                                  \
  template <int Cap, class A>                                                                        \
  KOKKOS_FORCEINLINE_FUNCTION bool operator op(const AdjExpr<Cap, A>& a, double s) {                 \
    return a.self().val op s;                                                                        \
  }                                                                                                  \
  template <int Cap, class B>                                                                        \
  KOKKOS_FORCEINLINE_FUNCTION bool operator op(double s, const AdjExpr<Cap, B>& b) {                 \
    return s op b.self().val;                                                                        \
  }
UNDERTOW_ADJ_COMPARE(<)
UNDERTOW_ADJ_COMPARE(<=)
UNDERTOW_ADJ_COMPARE(>)
UNDERTOW_ADJ_COMPARE(>=)
UNDERTOW_ADJ_COMPARE(==)
UNDERTOW_ADJ_COMPARE(!=)
#undef UNDERTOW_ADJ_COMPARE

// ---- functions (values and conventions as in math.hpp) ----
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto sqrt(const AdjExpr<Cap, A>& x) {
  const double s = kmath::sqrt(x.self().val);
  return detail::unary<Cap, A, true>(x.self(), s, 0.5 / s);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto exp(const AdjExpr<Cap, A>& x) {
  const double e = kmath::exp(x.self().val);
  return detail::unary<Cap>(x.self(), e, e);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto log(const AdjExpr<Cap, A>& x) {
  const double a = x.self().val;
  return detail::unary<Cap, A, true>(x.self(), double(kmath::log(a)), 1.0 / a);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto pow(const AdjExpr<Cap, A>& x, double p) {
  const double a = x.self().val;
  const double slope = p == 0 ? 0.0 : p * double(kmath::pow(a, p - 1));
  return detail::unary<Cap, A, true>(x.self(), double(kmath::pow(a, p)), slope);
}
template <int Cap, class B>
KOKKOS_FORCEINLINE_FUNCTION auto pow(double a, const AdjExpr<Cap, B>& y) {
  const double r = kmath::pow(a, y.self().val);
  return detail::unary<Cap, B, true>(y.self(), r, r * double(kmath::log(a)));
}
template <int Cap, class A, class B>
KOKKOS_FORCEINLINE_FUNCTION auto pow(const AdjExpr<Cap, A>& x, const AdjExpr<Cap, B>& y) {
  const double a = x.self().val, b = y.self().val;
  const double r = kmath::pow(a, b);
  const double slope_a = b == 0.0 ? 0.0 : b * double(kmath::pow(a, b - 1.0));
  // log(a) only where the exponent is active (a < 0 with a constant integer exponent).
  const double slope_b = y.self().tape() ? r * double(kmath::log(a)) : 0.0;
  return detail::binary<Cap, A, B, true>(x.self(), y.self(), r, slope_a, slope_b);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto abs(const AdjExpr<Cap, A>& x) {
  const double a = x.self().val;
  return detail::unary<Cap>(x.self(), double(kmath::fabs(a)), a < 0 ? -1.0 : 1.0);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto fabs(const AdjExpr<Cap, A>& x) {
  return abs(x);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto tanh(const AdjExpr<Cap, A>& x) {
  const double t = kmath::tanh(x.self().val);
  return detail::unary<Cap>(x.self(), t, 1.0 - t * t);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto sin(const AdjExpr<Cap, A>& x) {
  const double a = x.self().val;
  return detail::unary<Cap>(x.self(), double(kmath::sin(a)), double(kmath::cos(a)));
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto cos(const AdjExpr<Cap, A>& x) {
  const double a = x.self().val;
  return detail::unary<Cap>(x.self(), double(kmath::cos(a)), -double(kmath::sin(a)));
}
// min/max select like the double versions: b < a ? b : a, a < b ? b : a (ties and
// NaN: the first argument). Of two named values, a copy (no statement).
template <int Cap>
KOKKOS_FORCEINLINE_FUNCTION Adj<Cap> min(const Adj<Cap>& a, const Adj<Cap>& b) {
  return b.val < a.val ? b : a;
}
template <int Cap>
KOKKOS_FORCEINLINE_FUNCTION Adj<Cap> max(const Adj<Cap>& a, const Adj<Cap>& b) {
  return a.val < b.val ? b : a;
}
template <int Cap>
KOKKOS_FORCEINLINE_FUNCTION Adj<Cap> min(const Adj<Cap>& a, double b) {
  return b < a.val ? Adj<Cap>(b) : a;
}
template <int Cap>
KOKKOS_FORCEINLINE_FUNCTION Adj<Cap> min(double a, const Adj<Cap>& b) {
  return b.val < a ? b : Adj<Cap>(a);
}
template <int Cap>
KOKKOS_FORCEINLINE_FUNCTION Adj<Cap> max(const Adj<Cap>& a, double b) {
  return a.val < b ? Adj<Cap>(b) : a;
}
template <int Cap>
KOKKOS_FORCEINLINE_FUNCTION Adj<Cap> max(double a, const Adj<Cap>& b) {
  return a < b.val ? b : Adj<Cap>(a);
}
template <int Cap, class A, class B>
KOKKOS_FORCEINLINE_FUNCTION auto min(const AdjExpr<Cap, A>& x, const AdjExpr<Cap, B>& y) {
  return detail::AdjSelect<Cap, A, B>(x.self(), y.self(), y.self().val < x.self().val);
}
template <int Cap, class A, class B>
KOKKOS_FORCEINLINE_FUNCTION auto max(const AdjExpr<Cap, A>& x, const AdjExpr<Cap, B>& y) {
  return detail::AdjSelect<Cap, A, B>(x.self(), y.self(), x.self().val < y.self().val);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto min(const AdjExpr<Cap, A>& x, double b) {
  return detail::AdjClip<Cap, A>(x.self(), b < x.self().val, b);
}
template <int Cap, class B>
KOKKOS_FORCEINLINE_FUNCTION auto min(double a, const AdjExpr<Cap, B>& y) {
  return detail::AdjClip<Cap, B>(y.self(), !(y.self().val < a), a);
}
template <int Cap, class A>
KOKKOS_FORCEINLINE_FUNCTION auto max(const AdjExpr<Cap, A>& x, double b) {
  return detail::AdjClip<Cap, A>(x.self(), x.self().val < b, b);
}
template <int Cap, class B>
KOKKOS_FORCEINLINE_FUNCTION auto max(double a, const AdjExpr<Cap, B>& y) {
  return detail::AdjClip<Cap, B>(y.self(), !(a < y.self().val), a);
}

}  // namespace undertow
