// The advection solver's kernel (see advection.hpp for the scheme).
#pragma once

#include "undertow/ad/math.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/stencil.hpp"

namespace undertow {
namespace solvers {
namespace advection {

/// One limited upwind sweep along `Axis`: input u, output u after the sweep.
/// `Upwind` is the offset of the upwind neighbour along Axis (-1 if a > 0, +1 if
/// a < 0), a template argument so that every read offset is a compile-time
/// constant (what lets the adjoint assembly drop the terms of unseeded reads).
template <int Dim, int Axis, int Upwind>
struct MusclSweep : Kernel<Inputs<1>, Outputs<1>> {
  static_assert(Upwind == -1 || Upwind == 1, "the upwind offset is -1 or +1");
  static constexpr Stencil stencil = Stencil::star(Dim, 2);
  double nu = 0.0;  // Courant number in [0, 1]
  int limiter = 2;  // 0 upwind, 1 minmod, 2 van Leer

  /// v_m = u at m cells upwind.
  template <class In>
  KOKKOS_FORCEINLINE_FUNCTION typename In::scalar v(const In& in, int m) const {
    const int o = Upwind * m;
    return in(0, Axis == 0 ? o : 0, Axis == 1 ? o : 0, Axis == 2 ? o : 0);
  }

  /// Limited slope; 0 at extrema and where the data is flat. Products of slopes
  /// below the smallest normal double count as flat, so that derivatives are never
  /// computed in denormal arithmetic (where they lose all precision).
  template <class S>
  KOKKOS_FORCEINLINE_FUNCTION S slope(const S& a, const S& b) const {
    if (limiter == 0 || a * b <= 2.2250738585072014e-308) return S(0.0);
    if (limiter == 1) return undertow::abs(a) < undertow::abs(b) ? a : b;
    // Dual values round as double values do, so a tangent or adjoint run takes
    // exactly the branches of the primal run.
    return 2.0 * a * b / (a + b);
  }

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S v0 = v(in, 0), v1 = v(in, 1), v2 = v(in, 2), vd = v(in, -1);
    const S sigma0 = slope(v0 - v1, vd - v0);
    const S sigma1 = slope(v1 - v2, v0 - v1);
    out(0) = (1.0 - nu) * v0 + nu * v1 - 0.5 * nu * (1.0 - nu) * (sigma0 - sigma1);
  }
};

}  // namespace advection
}  // namespace solvers
}  // namespace undertow
