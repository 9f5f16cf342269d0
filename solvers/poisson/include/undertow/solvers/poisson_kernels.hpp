// The Poisson solver's kernel (implicit heat uses it too). DiffusionOperator<Dim>: the symmetric positive definite
// stencil operator
//   A x = mass * x - scale * div(kappa grad x)
// on a uniform cell-centred grid (5-point in 2D), written as an Undertow kernel
// with inputs (x, kappa) and output A x, for `undertow::linear_solve`.
//
// Face conductivities are the arithmetic mean of the two cells, so the matrix is
// symmetric; with ghost-mirror boundary fills (Dirichlet: ghost = -interior,
// Neumann: ghost = interior) it stays symmetric, and it is positive definite for
// kappa > 0 as soon as mass > 0 or one face is Dirichlet. Poisson is mass = 0,
// scale = 1; a backward-Euler heat step (I - dt div(kappa grad)) is mass = 1,
// scale = dt.
#pragma once

#include "undertow/ad/math.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/stencil.hpp"

namespace undertow {
namespace solvers {
namespace poisson {

template <int Dim>
struct DiffusionOperator : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(Dim, 1);
  double mass = 0.0;
  double scale = 1.0;
  double inv_h2[3] = {1.0, 1.0, 1.0};  // 1 / h_d^2

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S x0 = in(0, 0, 0, 0);
    const S k0 = in(1, 0, 0, 0);
    S acc = mass * x0;
    UNDERTOW_UNROLL
    for (int d = 0; d < Dim; ++d) {
      UNDERTOW_UNROLL
      for (int side = -1; side <= 1; side += 2) {
        int o[3] = {0, 0, 0};
        o[d] = side;
        const S face = 0.5 * (k0 + in(1, o[0], o[1], o[2]));
        acc += (scale * inv_h2[d]) * face * (x0 - in(0, o[0], o[1], o[2]));
      }
    }
    out(0) = acc;
  }
};

}  // namespace poisson
}  // namespace solvers
}  // namespace undertow
