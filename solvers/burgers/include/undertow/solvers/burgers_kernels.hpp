// The Burgers solver's kernel (see burgers.hpp for the scheme).
#pragma once

#include "undertow/ad/math.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/stencil.hpp"

namespace undertow {
namespace solvers {
namespace burgers {

/// One explicit step: inputs (u, nu), output u_next.
template <int Dim>
struct BurgersKernel : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(Dim, 1);
  double dt_h[3] = {0, 0, 0};   // dt / h_d
  double dt_h2[3] = {0, 0, 0};  // dt / h_d^2

  template <class S>
  KOKKOS_FORCEINLINE_FUNCTION static S rusanov(const S& l, const S& r) {
    const S speed = undertow::max(undertow::abs(l), undertow::abs(r));
    return 0.25 * (l * l + r * r) - 0.5 * speed * (r - l);
  }

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    const S n0 = in(1, 0, 0, 0);
    S change = 0.0;
    for_each_face<Dim>([&](auto face) UNDERTOW_INLINE_LAMBDA {
      const S un = in(0, face.di, face.dj, face.dk);
      const S nf = 0.5 * (n0 + in(1, face.di, face.dj, face.dk));
      // Face flux in the +d direction, from (left, right) states; out of the cell through the + face.
      const S flux = face.s > 0 ? rusanov(u0, un) : rusanov(un, u0);
      change += (face.s > 0 ? -dt_h[face.d] : dt_h[face.d]) * flux + dt_h2[face.d] * nf * (un - u0);
    });
    out(0) = u0 + change;
  }
};

}  // namespace burgers
}  // namespace solvers
}  // namespace undertow
