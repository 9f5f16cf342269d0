// kernel_cases.hpp: the three kernels bench_kernels measures, each with a
// hand-written primal and a hand-written gather adjoint of the same mathematics.
//
//   Heat2D    u + dt/h^2 div(kappa grad u), face conductivity = mean of the two
//             cells (5-point star; inputs u and kappa; linear in u).
//   Burgers2D viscous Burgers, first-order upwind (a branch on the sign of u),
//             diffusion scaled by sqrt(1 + nu^2) (inputs u and nu; nonlinear).
//   Heat3D    u + dt/h^2 lap(u) (7-point star; one input; linear).
//
// The kernels are written once, against the public Kernel API, exactly as a user
// would. The hand-written code is what an expert writes for a CPU: one
// parallel_for over rows, a unit-stride inner loop over raw pointers that the
// compiler vectorises, and the adjoint derived on paper in gather form (each
// cell pulls from the outputs whose stencils reach it). It is the practical
// limit the library's assemblies are compared with.
//
// Every field in one case shares one layout (same decomposition, ghost width,
// one component), so one row stride serves all of them.
#pragma once

#include <Kokkos_Core.hpp>
#include <cstddef>

#include "undertow/undertow.hpp"

// Row loops: the written arrays alias no array read in the loop; GCC ignores
// __restrict__ on local pointers, so say it with a pragma (as the library's row
// loops do, include/undertow/kernel/impl/row_assembly.hpp).
#if !defined(UNDERTOW_BENCH_IVDEP)
#if defined(__clang__)
#define UNDERTOW_BENCH_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define UNDERTOW_BENCH_IVDEP _Pragma("GCC ivdep")
#else
#define UNDERTOW_BENCH_IVDEP
#endif
#endif

namespace undertow::bench {

// ---------------------------------------------------------------------------
// Kernels (user code)
// ---------------------------------------------------------------------------

struct Heat2D : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double dt_over_h2 = 0.1;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0);
    const S k0 = in(1, 0, 0);
    const S flux = 0.5 * (k0 + in(1, -1, 0)) * (in(0, -1, 0) - u0) + 0.5 * (k0 + in(1, 1, 0)) * (in(0, 1, 0) - u0) +
                   0.5 * (k0 + in(1, 0, -1)) * (in(0, 0, -1) - u0) + 0.5 * (k0 + in(1, 0, 1)) * (in(0, 0, 1) - u0);
    out(0) = u0 + dt_over_h2 * flux;
  }
};

struct Burgers2D : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double dt_over_h = 0.1;
  double dt_over_h2 = 0.05;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0);
    const S viscosity = undertow::sqrt(1.0 + in(1, 0, 0) * in(1, 0, 0));
    S result = u0;
    // Constant offsets: the adjoint folds the zeros of unseeded reads (docs/kernels.md).
    UNDERTOW_UNROLL
    for (int d = 0; d < 2; ++d) {
      const int di = d == 0 ? 1 : 0, dj = d == 1 ? 1 : 0;
      const S left = in(0, -di, -dj);
      const S right = in(0, di, dj);
      S flux_difference;
      if (u0 > 0.0) {
        flux_difference = 0.5 * (u0 * u0 - left * left);
      } else {
        flux_difference = 0.5 * (right * right - u0 * u0);
      }
      result -= dt_over_h * flux_difference;
      result += dt_over_h2 * viscosity * (left - 2.0 * u0 + right);
    }
    out(0) = result;
  }
};

/// Burgers2D with the upwind choice as a 0/1 factor instead of a branch (the
/// same mathematics; the same derivative away from u = 0): the formulation of
/// the hand-written code, run through the library to measure what the branch
/// costs it.
struct Burgers2DBranchFree : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double dt_over_h = 0.1;
  double dt_over_h2 = 0.05;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0);
    const S viscosity = undertow::sqrt(1.0 + in(1, 0, 0) * in(1, 0, 0));
    const double up = undertow::value(u0) > 0.0 ? 1.0 : 0.0;
    S result = u0;
    // Constant offsets: the adjoint folds the zeros of unseeded reads (docs/kernels.md).
    UNDERTOW_UNROLL
    for (int d = 0; d < 2; ++d) {
      const int di = d == 0 ? 1 : 0, dj = d == 1 ? 1 : 0;
      const S left = in(0, -di, -dj);
      const S right = in(0, di, dj);
      const S flux_difference = up * (0.5 * (u0 * u0 - left * left)) + (1.0 - up) * (0.5 * (right * right - u0 * u0));
      result -= dt_over_h * flux_difference;
      result += dt_over_h2 * viscosity * (left - 2.0 * u0 + right);
    }
    out(0) = result;
  }
};

struct Heat3D : Kernel<Inputs<1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(3, 1);
  double dt_over_h2 = 0.1;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    const S lap = in(0, -1, 0, 0) + in(0, 1, 0, 0) + in(0, 0, -1, 0) + in(0, 0, 1, 0) + in(0, 0, 0, -1) +
                  in(0, 0, 0, 1) - 6.0 * u0;
    out(0) = u0 + dt_over_h2 * lap;
  }
};

// ---------------------------------------------------------------------------
// Hand-written code
// ---------------------------------------------------------------------------

/// Raw addressing of owned cells: rows are the unit-stride lines (j in 2D, k in
/// 3D); a row is identified by one index (i in 2D, i * n1 + j in 3D).
struct RowLayout {
  int dim = 2;
  Index3 n{1, 1, 1};  // owned cells
  int ghost = 1;
  std::ptrdiff_t stride[3] = {0, 0, 0};  // element strides of i, j, k
  int rows = 0;
  int row_length = 0;

  static RowLayout of(const Field<double>& f) {
    RowLayout l;
    l.dim = f.decomposition().dim();
    l.n = f.decomposition().owned_cells();
    l.ghost = f.ghost();
    for (int d = 0; d < 3; ++d) l.stride[d] = static_cast<std::ptrdiff_t>(f.view().stride(d + 1));
    l.rows = l.dim == 2 ? l.n[0] : l.n[0] * l.n[1];
    l.row_length = l.dim == 2 ? l.n[1] : l.n[2];
    return l;
  }
  /// Offset of the first owned cell of row r.
  KOKKOS_INLINE_FUNCTION std::ptrdiff_t row_start(int r) const {
    if (dim == 2) return (r + ghost) * stride[0] + ghost * stride[1];
    const int i = r / n[1], j = r % n[1];
    return (i + ghost) * stride[0] + (j + ghost) * stride[1] + ghost * stride[2];
  }
  Kokkos::RangePolicy<ExecSpace> policy() const { return Kokkos::RangePolicy<ExecSpace>(0, rows); }
};

inline double* raw(const Field<double>& f) {
  return f.view().data();
}

// Heat2D ---------------------------------------------------------------------

inline void heat2d_hand_primal(const Heat2D& kernel, const Field<double>& u, const Field<double>& kappa,
                               const Field<double>& out) {
  const RowLayout l = RowLayout::of(u);
  const double a = kernel.dt_over_h2;
  const double* U = raw(u);
  const double* K = raw(kappa);
  double* O = raw(out);
  Kokkos::parallel_for(
      "hand::heat2d_primal", l.policy(), KOKKOS_LAMBDA(int r) {
        const std::ptrdiff_t s = l.stride[0], o = l.row_start(r);
        const double* __restrict__ u_ = U + o;
        const double* __restrict__ k_ = K + o;
        double* __restrict__ out_ = O + o;
        UNDERTOW_BENCH_IVDEP
        for (int j = 0; j < l.row_length; ++j) {
          const double u0 = u_[j], k0 = k_[j];
          const double flux = 0.5 * (k0 + k_[j - s]) * (u_[j - s] - u0) + 0.5 * (k0 + k_[j + s]) * (u_[j + s] - u0) +
                              0.5 * (k0 + k_[j - 1]) * (u_[j - 1] - u0) + 0.5 * (k0 + k_[j + 1]) * (u_[j + 1] - u0);
          out_[j] = u0 + a * flux;
        }
      });
}

/// u_bar += (d out / d u)^T out_bar and kappa_bar += (d out / d kappa)^T out_bar.
/// On paper: u_bar(x) += ob(x) + a sum_nb face(x, nb) (ob(nb) - ob(x)),
///           kappa_bar(x) += a/2 sum_nb (u(nb) - u(x)) (ob(x) - ob(nb)).
inline void heat2d_hand_adjoint(const Heat2D& kernel, const Field<double>& u, const Field<double>& kappa,
                                const Field<double>& out_bar, const Field<double>& u_bar,
                                const Field<double>& kappa_bar) {
  const RowLayout l = RowLayout::of(u);
  const double a = kernel.dt_over_h2;
  const double* U = raw(u);
  const double* K = raw(kappa);
  const double* OB = raw(out_bar);
  double* UB = raw(u_bar);
  double* KB = raw(kappa_bar);
  Kokkos::parallel_for(
      "hand::heat2d_adjoint", l.policy(), KOKKOS_LAMBDA(int r) {
        const std::ptrdiff_t s = l.stride[0], o = l.row_start(r);
        const double* __restrict__ u_ = U + o;
        const double* __restrict__ k_ = K + o;
        const double* __restrict__ ob = OB + o;
        double* __restrict__ ub = UB + o;
        double* __restrict__ kb = KB + o;
        UNDERTOW_BENCH_IVDEP
        for (int j = 0; j < l.row_length; ++j) {
          const double u0 = u_[j], k0 = k_[j], b0 = ob[j];
          ub[j] += b0 + a * (0.5 * (k0 + k_[j - s]) * (ob[j - s] - b0) + 0.5 * (k0 + k_[j + s]) * (ob[j + s] - b0) +
                             0.5 * (k0 + k_[j - 1]) * (ob[j - 1] - b0) + 0.5 * (k0 + k_[j + 1]) * (ob[j + 1] - b0));
          kb[j] += 0.5 * a *
                   ((u_[j - s] - u0) * (b0 - ob[j - s]) + (u_[j + s] - u0) * (b0 - ob[j + s]) +
                    (u_[j - 1] - u0) * (b0 - ob[j - 1]) + (u_[j + 1] - u0) * (b0 - ob[j + 1]));
        }
      });
}

// Burgers2D ------------------------------------------------------------------

inline void burgers2d_hand_primal(const Burgers2D& kernel, const Field<double>& u, const Field<double>& nu,
                                  const Field<double>& out) {
  const RowLayout l = RowLayout::of(u);
  const double a = kernel.dt_over_h, b = kernel.dt_over_h2;
  const double* U = raw(u);
  const double* N = raw(nu);
  double* O = raw(out);
  Kokkos::parallel_for(
      "hand::burgers2d_primal", l.policy(), KOKKOS_LAMBDA(int r) {
        const std::ptrdiff_t s = l.stride[0], o = l.row_start(r);
        const double* __restrict__ u_ = U + o;
        const double* __restrict__ n_ = N + o;
        double* __restrict__ out_ = O + o;
        UNDERTOW_BENCH_IVDEP
        for (int j = 0; j < l.row_length; ++j) {
          const double u0 = u_[j], n0 = n_[j];
          const double v = undertow::sqrt(1.0 + n0 * n0);
          const double up = u0 > 0.0 ? 1.0 : 0.0;  // branch-free upwinding
          const double si = u_[j - s], ni = u_[j + s], sj = u_[j - 1], nj = u_[j + 1];
          const double flux_i = up * 0.5 * (u0 * u0 - si * si) + (1.0 - up) * 0.5 * (ni * ni - u0 * u0);
          const double flux_j = up * 0.5 * (u0 * u0 - sj * sj) + (1.0 - up) * 0.5 * (nj * nj - u0 * u0);
          out_[j] = u0 - a * (flux_i + flux_j) + b * v * (si + ni + sj + nj - 4.0 * u0);
        }
      });
}

/// Gather adjoint of Burgers2D with respect to u and nu. With p(x) = [u(x) > 0]
/// and v(x) = sqrt(1 + nu(x)^2), cell c's output depends on
///   u(c):       1 - 2 a (p u0 - (1-p) u0) - 4 b v(c)
///   u(c - e_d): a p(c) u(c - e_d) + b v(c)
///   u(c + e_d): -a (1 - p(c)) u(c + e_d) + b v(c)
///   nu(c):      b nu(c) / v(c) * (sum of the four neighbours - 4 u(c)).
inline void burgers2d_hand_adjoint(const Burgers2D& kernel, const Field<double>& u, const Field<double>& nu,
                                   const Field<double>& out_bar, const Field<double>& u_bar,
                                   const Field<double>& nu_bar) {
  const RowLayout l = RowLayout::of(u);
  const double a = kernel.dt_over_h, b = kernel.dt_over_h2;
  const double* U = raw(u);
  const double* N = raw(nu);
  const double* OB = raw(out_bar);
  double* UB = raw(u_bar);
  double* NB = raw(nu_bar);
  Kokkos::parallel_for(
      "hand::burgers2d_adjoint", l.policy(), KOKKOS_LAMBDA(int r) {
        const std::ptrdiff_t s = l.stride[0], o = l.row_start(r);
        const double* __restrict__ u_ = U + o;
        const double* __restrict__ n_ = N + o;
        const double* __restrict__ ob = OB + o;
        double* __restrict__ ub = UB + o;
        double* __restrict__ nb = NB + o;
        auto visc = [](double n) { return undertow::sqrt(1.0 + n * n); };
        auto up = [](double x) { return x > 0.0 ? 1.0 : 0.0; };
        UNDERTOW_BENCH_IVDEP
        for (int j = 0; j < l.row_length; ++j) {
          const double u0 = u_[j], b0 = ob[j], v0 = visc(n_[j]), p0 = up(u0);
          const double si = u_[j - s], ni = u_[j + s], sj = u_[j - 1], nj = u_[j + 1];
          // Own output.
          double acc = b0 * (1.0 - 2.0 * a * (p0 * u0 - (1.0 - p0) * u0) - 4.0 * b * v0);
          // x is the left neighbour of x + e_d (reads u(c - e_d) there) ...
          acc += ob[j + s] * (a * up(ni) * u0 + b * visc(n_[j + s]));
          acc += ob[j + 1] * (a * up(nj) * u0 + b * visc(n_[j + 1]));
          // ... and the right neighbour of x - e_d.
          acc += ob[j - s] * (-a * (1.0 - up(si)) * u0 + b * visc(n_[j - s]));
          acc += ob[j - 1] * (-a * (1.0 - up(sj)) * u0 + b * visc(n_[j - 1]));
          ub[j] += acc;
          nb[j] += b0 * b * n_[j] / v0 * (si + ni + sj + nj - 4.0 * u0);
        }
      });
}

// Heat3D ---------------------------------------------------------------------

inline void heat3d_hand_primal(const Heat3D& kernel, const Field<double>& u, const Field<double>& out) {
  const RowLayout l = RowLayout::of(u);
  const double a = kernel.dt_over_h2;
  const double* U = raw(u);
  double* O = raw(out);
  Kokkos::parallel_for(
      "hand::heat3d_primal", l.policy(), KOKKOS_LAMBDA(int r) {
        const std::ptrdiff_t si = l.stride[0], sj = l.stride[1], o = l.row_start(r);
        const double* __restrict__ u_ = U + o;
        double* __restrict__ out_ = O + o;
        UNDERTOW_BENCH_IVDEP
        for (int k = 0; k < l.row_length; ++k) {
          const double u0 = u_[k];
          out_[k] = u0 + a * (u_[k - si] + u_[k + si] + u_[k - sj] + u_[k + sj] + u_[k - 1] + u_[k + 1] - 6.0 * u0);
        }
      });
}

/// The operator is symmetric: u_bar(x) += ob(x) + a (sum of neighbours' ob - 6 ob(x)).
inline void heat3d_hand_adjoint(const Heat3D& kernel, const Field<double>& out_bar, const Field<double>& u_bar) {
  const RowLayout l = RowLayout::of(out_bar);
  const double a = kernel.dt_over_h2;
  const double* OB = raw(out_bar);
  double* UB = raw(u_bar);
  Kokkos::parallel_for(
      "hand::heat3d_adjoint", l.policy(), KOKKOS_LAMBDA(int r) {
        const std::ptrdiff_t si = l.stride[0], sj = l.stride[1], o = l.row_start(r);
        const double* __restrict__ ob = OB + o;
        double* __restrict__ ub = UB + o;
        UNDERTOW_BENCH_IVDEP
        for (int k = 0; k < l.row_length; ++k) {
          const double b0 = ob[k];
          ub[k] += b0 + a * (ob[k - si] + ob[k + si] + ob[k - sj] + ob[k + sj] + ob[k - 1] + ob[k + 1] - 6.0 * b0);
        }
      });
}

}  // namespace undertow::bench
