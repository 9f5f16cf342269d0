// Kernels used by the derivative tests: linear and nonlinear, star and box,
// radius 1 and 2, 1D/2D/3D, with a coefficient field; and StarOperator, a
// symmetric positive definite operator for linear solves.
#pragma once

#include "undertow/undertow.hpp"

namespace undertow_test {

using undertow::Inputs;
using undertow::Kernel;
using undertow::Outputs;
using undertow::Stencil;

/// u + dt/h^2 * div(kappa grad u), face conductivity = mean of the two cells.
template <int Dim>
struct Diffusion : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(Dim, 1);
  double dt_over_h2 = 0.1;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    const S k0 = in(1, 0, 0, 0);
    S flux = 0.0;
    for (int d = 0; d < Dim; ++d) {
      for (int side = -1; side <= 1; side += 2) {
        int o[3] = {0, 0, 0};
        o[d] = side;
        const S face = 0.5 * (k0 + in(1, o[0], o[1], o[2]));
        flux += face * (in(0, o[0], o[1], o[2]) - u0);
      }
    }
    out(0) = u0 + dt_over_h2 * flux;
  }
};

/// Fourth-order Laplacian (radius-2 star) with a cubic reaction term.
template <int Dim>
struct FourthOrderReaction : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(Dim, 2);
  double dt_over_h2 = 0.02;
  double dt = 0.05;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    S lap = 0.0;
    for (int d = 0; d < Dim; ++d) {
      int a[3] = {0, 0, 0}, b[3] = {0, 0, 0};
      a[d] = 1;
      b[d] = 2;
      lap += (-in(0, b[0], b[1], b[2]) + 16.0 * in(0, a[0], a[1], a[2]) - 30.0 * u0 +
              16.0 * in(0, -a[0], -a[1], -a[2]) - in(0, -b[0], -b[1], -b[2])) /
             12.0;
    }
    out(0) = u0 + dt_over_h2 * in(1, 0, 0, 0) * lap - dt * u0 * u0 * u0;
  }
};

/// A box (corner-coupled) stencil: smoothing with weights from a coefficient,
/// nonlinear through exp and tanh.
template <int Dim>
struct BoxSmoother : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::box(Dim, 1);
  double rate = 0.05;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    S acc = 0.0;
    const int rj = Dim > 1 ? 1 : 0, rk = Dim > 2 ? 1 : 0;
    for (int i = -1; i <= 1; ++i)
      for (int j = -rj; j <= rj; ++j)
        for (int k = -rk; k <= rk; ++k)
          acc += undertow::exp(-0.5 * in(1, i, j, k) * in(1, i, j, k)) * (in(0, i, j, k) - u0);
    out(0) = u0 + rate * undertow::tanh(acc);
  }
};

/// Viscous Burgers, first-order upwind (a branch on the sign of u) plus
/// diffusion scaled by a viscosity field.
template <int Dim>
struct UpwindBurgers : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(Dim, 1);
  double dt_over_h = 0.1;
  double dt_over_h2 = 0.05;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    S result = u0;
    for (int d = 0; d < Dim; ++d) {
      int o[3] = {0, 0, 0};
      o[d] = 1;
      const S left = in(0, -o[0], -o[1], -o[2]);
      const S right = in(0, o[0], o[1], o[2]);
      S flux_difference;
      if (u0 > 0.0) {
        flux_difference = 0.5 * (u0 * u0 - left * left);
      } else {
        flux_difference = 0.5 * (right * right - u0 * u0);
      }
      result -= dt_over_h * flux_difference;
      result += dt_over_h2 * undertow::sqrt(1.0 + in(1, 0, 0, 0) * in(1, 0, 0, 0)) * (left - 2.0 * u0 + right);
    }
    out(0) = result;
  }
};

/// mass * x - div(kappa grad x) / h^2, face conductivity = mean of the two cells.
template <int Dim>
struct StarOperator : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(Dim, 1);
  double mass = 0.5;
  double inv_h2 = 4.0;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S x0 = in(0, 0, 0, 0), k0 = in(1, 0, 0, 0);
    S acc = mass * x0;
    for (int d = 0; d < Dim; ++d) {
      for (int side = -1; side <= 1; side += 2) {
        int o[3] = {0, 0, 0};
        o[d] = side;
        acc += inv_h2 * 0.5 * (k0 + in(1, o[0], o[1], o[2])) * (x0 - in(0, o[0], o[1], o[2]));
      }
    }
    out(0) = acc;
  }
};

/// The variables of add_diffusion_step.
struct DiffusionStep {
  undertow::Var u, kappa;
};

/// A 2D step u <- Diffusion<2>{dt_over_h2}(u, kappa), u a State and kappa a
/// Parameter, both exchanged and mirrored at walls (no fill on periodic faces).
inline DiffusionStep add_diffusion_step(undertow::Program& p, double dt_over_h2) {
  using undertow::BoundaryConditions;
  using undertow::FaceCondition;
  const undertow::Var u = p.add_state("u", 1, 2), kappa = p.add_parameter("kappa", 1, 2);
  const undertow::Var next = p.add_temporary("u_next", 1, 2);
  const BoundaryConditions insulated = BoundaryConditions::walls(p.decomposition().grid(), FaceCondition::neumann());
  p.exchange(u);
  p.boundary(u, insulated);
  p.exchange(kappa);
  p.boundary(kappa, insulated);
  Diffusion<2> kernel;
  kernel.dt_over_h2 = dt_over_h2;
  p.apply(kernel, {u, kappa}, {next});
  p.copy(u, next);
  return {u, kappa};
}

}  // namespace undertow_test
