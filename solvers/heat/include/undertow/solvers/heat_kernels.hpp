// The heat solver's kernel (see heat.hpp for the scheme).
#pragma once

#include "undertow/ad/math.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/stencil.hpp"

namespace undertow {
namespace solvers {
namespace heat {

/// One explicit step of du/dt = div(kappa grad u): inputs (u, kappa), output u_next.
template <int Dim>
struct HeatKernel : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(Dim, 1);
  double c[3] = {0.0, 0.0, 0.0};  // dt / h_d^2

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    const S k0 = in(1, 0, 0, 0);
    S change = 0.0;
    for_each_face<Dim>([&](auto face) UNDERTOW_INLINE_LAMBDA {
      const S kn = in(1, face.di, face.dj, face.dk);
      // Harmonic mean of the two cells' conductivities (Dual values round as
      // double values do: tangent runs reproduce the primal values bitwise).
      const S kf = 2.0 * k0 * kn / (k0 + kn);
      change += c[face.d] * kf * (in(0, face.di, face.dj, face.dk) - u0);
    });
    out(0) = u0 + change;
  }
};

}  // namespace heat
}  // namespace solvers
}  // namespace undertow
