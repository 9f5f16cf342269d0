// Whole-field operations: fill, copy, axpy, scale, and global reductions.
//
// Pointwise operations act on owned cells (ghosts are left as they are) unless a
// `_all` variant says otherwise. Reductions (sum, dot, norm, max) run over owned
// cells and all components; the per-rank partial results are all-gathered and
// combined in rank order, so every rank gets the bitwise same value and the result
// does not depend on message timing.
#pragma once

#include <Kokkos_Core.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "undertow/core/error.hpp"
#include "undertow/core/impl/row_range.hpp"
#include "undertow/field/field.hpp"

namespace undertow {
namespace detail {

/// 4D policy over (component, owned box) of a field.
inline Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<4>> policy(const Box& b, int components) {
  return Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<4>>({0, b.lo[0], b.lo[1], b.lo[2]},
                                                           {components, b.hi[0], b.hi[1], b.hi[2]});
}

/// Rows of the owned box of f (unit-stride inner loops; see core/impl/row_range.hpp).
template <class T>
Rows owned_rows(const Field<T>& f) {
  const Box b = f.owned_box();
  return Rows(f.decomposition().dim(), b.lo, b.hi);
}

/// Runs row(c, p, n) for every component c and every row of f's owned cells:
/// n cells from local index p along the unit-stride dimension.
template <class T, class Row>
void for_owned_rows(const char* name, const Field<T>& f, const Row& row) {
  const Rows rows = owned_rows(f);
  const int nc = f.components();
  Kokkos::parallel_for(
      name, rows.policy(), KOKKOS_LAMBDA(std::int64_t w) {
        Index3 p;
        int n;
        rows.item(w, p, n);
        for (int c = 0; c < nc; ++c) row(c, p, n);
      });
}

/// This rank's sum of row(c, p, n) over the same rows (a double per row).
template <class T, class Row>
double sum_owned_rows(const char* name, const Field<T>& f, const Row& row) {
  const Rows rows = owned_rows(f);
  const int nc = f.components();
  double local = 0;
  Kokkos::parallel_reduce(
      name, rows.policy(),
      KOKKOS_LAMBDA(std::int64_t w, double& acc) {
        Index3 p;
        int n;
        rows.item(w, p, n);
        for (int c = 0; c < nc; ++c) acc += row(c, p, n);
      },
      local);
  return local;
}

/// Sum of term(t) for t in [0, n) with four interleaved partial sums (a single
/// accumulator is latency-bound at a quarter of the bandwidth), combined in a
/// fixed order: the result depends on n only, not on timing.
template <class Term>
KOKKOS_FORCEINLINE_FUNCTION double row_sum(int n, const Term& term) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int t = 0;
  for (; t + 4 <= n; t += 4) {
    a0 += term(t);
    a1 += term(t + 1);
    a2 += term(t + 2);
    a3 += term(t + 3);
  }
  for (; t < n; ++t) a0 += term(t);
  return (a0 + a1) + (a2 + a3);
}

template <class A, class B>
void require_same_layout(const Field<A>& a, const Field<B>& b, const char* op) {
  if (&a.decomposition() != &b.decomposition() || a.components() != b.components()) {
    throw Error(std::string(op) + ": fields '" + a.name() + "' and '" + b.name() +
                "' differ in decomposition or component count");
  }
}

/// Sum of per-rank partials, combined in rank order so every rank agrees bitwise.
double ordered_global_sum(MPI_Comm comm, double local);
double global_max(MPI_Comm comm, double local);

}  // namespace detail

template <class T>
void fill(const Field<T>& f, T value) {
  auto v = f.view();
  detail::for_owned_rows(
      "undertow::fill", f, KOKKOS_LAMBDA(int c, const Index3& p, int n) {
        T* out = &v(c, p[0], p[1], p[2]);
        UNDERTOW_IVDEP
        for (int t = 0; t < n; ++t) out[t] = value;
      });
}

/// Sets every value, ghosts included.
template <class T>
void fill_all(const Field<T>& f, T value) {
  Kokkos::deep_copy(f.view(), value);
}

/// dst = src on owned cells.
template <class T>
void copy(const Field<T>& dst, const Field<T>& src) {
  detail::require_same_layout(dst, src, "copy");
  auto d = dst.view();
  auto s = src.view();
  const int shift[3] = {src.ghost(0) - dst.ghost(0), src.ghost(1) - dst.ghost(1), src.ghost(2) - dst.ghost(2)};
  const int sx = shift[0], sy = shift[1], sz = shift[2];
  detail::for_owned_rows(
      "undertow::copy", dst, KOKKOS_LAMBDA(int c, const Index3& p, int n) {
        T* out = &d(c, p[0], p[1], p[2]);
        const T* in = &s(c, p[0] + sx, p[1] + sy, p[2] + sz);
        UNDERTOW_IVDEP
        for (int t = 0; t < n; ++t) out[t] = in[t];
      });
}

/// y += a * x on owned cells.
template <class T>
void axpy(const Field<T>& y, double a, const Field<T>& x) {
  detail::require_same_layout(y, x, "axpy");
  auto yv = y.view();
  auto xv = x.view();
  const int sx = x.ghost(0) - y.ghost(0), sy = x.ghost(1) - y.ghost(1), sz = x.ghost(2) - y.ghost(2);
  detail::for_owned_rows(
      "undertow::axpy", y, KOKKOS_LAMBDA(int c, const Index3& p, int n) {
        T* out = &yv(c, p[0], p[1], p[2]);
        const T* in = &xv(c, p[0] + sx, p[1] + sy, p[2] + sz);
        UNDERTOW_IVDEP
        for (int t = 0; t < n; ++t) out[t] += a * in[t];
      });
}

/// x *= a on owned cells.
template <class T>
void scale(const Field<T>& x, double a) {
  auto xv = x.view();
  detail::for_owned_rows(
      "undertow::scale", x, KOKKOS_LAMBDA(int c, const Index3& p, int n) {
        T* out = &xv(c, p[0], p[1], p[2]);
        UNDERTOW_IVDEP
        for (int t = 0; t < n; ++t) out[t] *= a;
      });
}

/// Sets the ghost layer (every cell outside the owned box) to zero.
template <class T>
void zero_ghosts(const Field<T>& f) {
  auto v = f.view();
  const Box o = f.owned_box();
  Kokkos::parallel_for(
      "undertow::zero_ghosts", detail::policy(f.full_box(), f.components()), KOKKOS_LAMBDA(int c, int i, int j, int k) {
        const bool owned = i >= o.lo[0] && i < o.hi[0] && j >= o.lo[1] && j < o.hi[1] && k >= o.lo[2] && k < o.hi[2];
        if (!owned) v(c, i, j, k) = T(0);
      });
}

namespace detail {

/// The ghost layer of f (every cell outside the owned box) as disjoint slabs: two
/// per dimension with ghosts, each spanning the owned range of the dimensions
/// before it and the full range of those after it.
template <class T>
std::vector<Box> ghost_slabs(const Field<T>& f) {
  const Box o = f.owned_box();
  const Box all = f.full_box();
  std::vector<Box> slabs;
  for (int d = 0; d < 3; ++d) {
    if (f.ghost(d) == 0) continue;
    Box lo_slab = all, hi_slab = all;
    for (int e = 0; e < d; ++e) {
      lo_slab.lo[e] = hi_slab.lo[e] = o.lo[e];
      lo_slab.hi[e] = hi_slab.hi[e] = o.hi[e];
    }
    lo_slab.hi[d] = o.lo[d];
    hi_slab.lo[d] = o.hi[d];
    slabs.push_back(lo_slab);
    slabs.push_back(hi_slab);
  }
  return slabs;
}

}  // namespace detail

/// Exchanges the owned values of a and b (same decomposition, component count and
/// ghost width); ghost cells stay where they are. The storage trades places and
/// only the ghost layers are copied back: O(ghost cells), not O(cells).
template <class T>
void swap_owned(Field<T>& a, Field<T>& b) {
  a.swap_storage(b);
  auto va = a.view();
  auto vb = b.view();
  for (const Box& slab : detail::ghost_slabs(a)) {
    Kokkos::parallel_for(
        "undertow::swap_owned", detail::policy(slab, a.components()), KOKKOS_LAMBDA(int c, int i, int j, int k) {
          const T t = va(c, i, j, k);
          va(c, i, j, k) = vb(c, i, j, k);
          vb(c, i, j, k) = t;
        });
  }
}

/// Global sum over owned cells and components.
inline double sum(const Field<double>& f) {
  auto v = f.view();
  const double local = detail::sum_owned_rows(
      "undertow::sum", f, KOKKOS_LAMBDA(int c, const Index3& p, int n) {
        const double* x = &v(c, p[0], p[1], p[2]);
        return detail::row_sum(n, [&](int t) { return x[t]; });
      });
  return detail::ordered_global_sum(f.decomposition().comm(), local);
}

/// Global dot product over owned cells and components.
inline double dot(const Field<double>& a, const Field<double>& b) {
  detail::require_same_layout(a, b, "dot");
  auto av = a.view();
  auto bv = b.view();
  const int sx = b.ghost(0) - a.ghost(0), sy = b.ghost(1) - a.ghost(1), sz = b.ghost(2) - a.ghost(2);
  const double local = detail::sum_owned_rows(
      "undertow::dot", a, KOKKOS_LAMBDA(int c, const Index3& p, int n) {
        const double* x = &av(c, p[0], p[1], p[2]);
        const double* y = &bv(c, p[0] + sx, p[1] + sy, p[2] + sz);
        return detail::row_sum(n, [&](int t) { return x[t] * y[t]; });
      });
  return detail::ordered_global_sum(a.decomposition().comm(), local);
}

/// Dot product over every cell, ghosts included (for transpose tests of halo
/// operations, which act on the ghost-inclusive array).
inline double dot_all(const Field<double>& a, const Field<double>& b) {
  detail::require_same_layout(a, b, "dot_all");
  if (a.ghost() != b.ghost())
    throw Error("dot_all: fields '" + a.name() + "' and '" + b.name() + "' differ in ghost width");
  auto av = a.view();
  auto bv = b.view();
  double local = 0;
  Kokkos::parallel_reduce(
      "undertow::dot_all", detail::policy(a.full_box(), a.components()),
      KOKKOS_LAMBDA(int c, int i, int j, int k, double& acc) { acc += av(c, i, j, k) * bv(c, i, j, k); }, local);
  return detail::ordered_global_sum(a.decomposition().comm(), local);
}

/// Euclidean norm over owned cells and components.
inline double norm2(const Field<double>& f) {
  return std::sqrt(dot(f, f));
}

/// Largest absolute value over owned cells and components (use count_nonfinite
/// to detect NaN: reducers may drop it when joining thread partials).
inline double max_abs(const Field<double>& f) {
  auto v = f.view();
  double local = 0;
  Kokkos::parallel_reduce(
      "undertow::max_abs", detail::policy(f.owned_box(), f.components()),
      KOKKOS_LAMBDA(int c, int i, int j, int k, double& acc) {
        const double a = v(c, i, j, k);
        const double m = a < 0 ? -a : a;
        if (!(m <= acc)) acc = m;  // NaN-propagating max
      },
      Kokkos::Max<double>(local));
  return detail::global_max(f.decomposition().comm(), local);
}

/// Smallest value over owned cells and components (global, identical on every
/// rank; +inf for a field without cells). NaN: see max_abs.
inline double min_value(const Field<double>& f) {
  auto v = f.view();
  double local = std::numeric_limits<double>::infinity();
  Kokkos::parallel_reduce(
      "undertow::min_value", detail::policy(f.owned_box(), f.components()),
      KOKKOS_LAMBDA(int c, int i, int j, int k, double& acc) {
        if (!(v(c, i, j, k) >= acc)) acc = v(c, i, j, k);
      },
      Kokkos::Min<double>(local));
  return -detail::global_max(f.decomposition().comm(), -local);
}

/// Largest value over owned cells and components (global, identical on every
/// rank; -inf for a field without cells). NaN: see max_abs.
inline double max_value(const Field<double>& f) {
  auto v = f.view();
  double local = -std::numeric_limits<double>::infinity();
  Kokkos::parallel_reduce(
      "undertow::max_value", detail::policy(f.owned_box(), f.components()),
      KOKKOS_LAMBDA(int c, int i, int j, int k, double& acc) {
        if (!(v(c, i, j, k) <= acc)) acc = v(c, i, j, k);
      },
      Kokkos::Max<double>(local));
  return detail::global_max(f.decomposition().comm(), local);
}

/// Sum of absolute values over owned cells and components (global, in a fixed
/// order like sum: identical on every rank).
inline double norm1(const Field<double>& f) {
  auto v = f.view();
  const double local = detail::sum_owned_rows(
      "undertow::norm1", f, KOKKOS_LAMBDA(int c, const Index3& p, int n) {
        const double* x = &v(c, p[0], p[1], p[2]);
        return detail::row_sum(n, [&](int t) { return x[t] < 0 ? -x[t] : x[t]; });
      });
  return detail::ordered_global_sum(f.decomposition().comm(), local);
}

/// Number of non-finite values over owned cells (global, identical on every rank).
inline std::int64_t count_nonfinite(const Field<double>& f) {
  auto v = f.view();
  const double local = detail::sum_owned_rows(
      "undertow::count_nonfinite", f, KOKKOS_LAMBDA(int c, const Index3& p, int n) {
        const double* x = &v(c, p[0], p[1], p[2]);
        // x - x is 0 for finite x and NaN for NaN and +-Inf.
        return detail::row_sum(n, [&](int t) { return x[t] - x[t] == 0.0 ? 0.0 : 1.0; });
      });
  return static_cast<std::int64_t>(detail::ordered_global_sum(f.decomposition().comm(), local));
}

/// Number of nonzero values over owned cells (global, identical on every rank).
inline std::int64_t count_nonzero(const Field<double>& f) {
  auto v = f.view();
  const double local = detail::sum_owned_rows(
      "undertow::count_nonzero", f, KOKKOS_LAMBDA(int c, const Index3& p, int n) {
        const double* x = &v(c, p[0], p[1], p[2]);
        return detail::row_sum(n, [&](int t) { return x[t] != 0.0 ? 1.0 : 0.0; });
      });
  return static_cast<std::int64_t>(detail::ordered_global_sum(f.decomposition().comm(), local));
}

}  // namespace undertow
