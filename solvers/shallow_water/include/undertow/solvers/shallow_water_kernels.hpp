// Per-cell kernels of the shallow-water solver: one explicit finite-volume
// update, the initial state, the gauge term of the objective and diagnostics.
//
// The state is U = (h, hu, hv) (depth and momenta), the bed elevation b is a
// parameter (surface elevation eta = h + b) and `water` is a 0/1 mask of active
// cells. `Update` computes U + dt * L(U) on a 5-point star: first-order finite
// volumes with a local Lax-Friedrichs (Rusanov) flux, written so that the lake at
// rest (eta constant, u = v = 0) is an exact discrete steady state over any bed:
//  * mass flux  F_h = (qn_L + qn_R)/2 - a/2 (eta_R - eta_L): the diffusion acts
//    on the surface elevation, not on the depth;
//  * momentum: advective flux (qn u)_avg - a/2 (q_R - q_L), plus the pressure and
//    bed-slope terms together as g h grad(eta), split over the faces as
//    g/4 (h_L + h_R)(eta_R - eta_L) for both neighbours (on a flat bed this is
//    algebraically the central flux difference of g h^2 / 2).
// At rest every term is zero, so the state does not move. The face speed `a` is
// a smooth upper bound of max(|u| + sqrt(g h)) over the two sides (|u| and max
// smoothed by `smoothing` m/s), so that the discrete map is differentiable
// everywhere, including at rest, and Taylor tests see second order. A face to a
// land cell (water = 0) is a reflective wall: the neighbour is replaced by the
// cell's mirror image, so no mass crosses the coastline. Land cells keep their
// values. Kernels are PODs with a generic body (double or Dual).
#pragma once

#include <Kokkos_Core.hpp>

#include "undertow/ad/dual.hpp"
#include "undertow/ad/math.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/stencil.hpp"

namespace undertow {
namespace solvers {
namespace shallow_water {

/// One side of a face, in the face's frame: depth, normal and tangential
/// momentum, bed, normal velocity and smoothed signal speed.
template <class S>
struct Side {
  S h, qn, qt, b, u, s;
};

/// Smoothed signal speed sqrt(u^2 + delta^2) + c >= |u| + c, c = sqrt(g h).
template <class S>
KOKKOS_FORCEINLINE_FUNCTION S signal_speed(const S& u, const S& c, double delta) {
  return undertow::sqrt(u * u + delta * delta) + c;
}

/// A side from a cell's values (c = sqrt(g h) passed in: a cell computes it once
/// for its four faces). Every cell builds its sides with exactly these operations,
/// so the two cells of a face see bitwise the same side values.
template <class S>
KOKKOS_FORCEINLINE_FUNCTION Side<S> make_side(const S& h, const S& qn, const S& qt, const S& b, const S& c,
                                              double delta) {
  Side<S> x{h, qn, qt, b, qn / h, S(0.0)};
  x.s = signal_speed(x.u, c, delta);
  return x;
}

/// Numerical fluxes through one face, for normal direction n (t: tangential).
template <class S>
struct FaceFlux {
  S mass;        ///< conservative mass flux
  S normal;      ///< conservative flux of the normal momentum (advection + diffusion)
  S tangential;  ///< conservative flux of the tangential momentum
  S pressure;    ///< g/4 (h_L + h_R)(eta_R - eta_L): added to the normal momentum of BOTH cells
};

/// The shallow-water face flux between the left (L) and right (R) side. The
/// arguments are ordered by position, never by "self/neighbour", so the two cells
/// sharing a face compute bitwise the same mass flux (mass is conserved to
/// round-off).
template <class S>
KOKKOS_FORCEINLINE_FUNCTION FaceFlux<S> face_flux(const Side<S>& L, const Side<S>& R, double g, double delta) {
  const S gap = L.s - R.s;
  // Smooth max(sL, sR) (>= the max): keeps the scheme differentiable at ties.
  const S a = (L.s + R.s + undertow::sqrt(gap * gap + delta * delta)) * 0.5;
  const S jump_eta = (R.h + R.b) - (L.h + L.b);
  FaceFlux<S> f;
  // (Scalars multiply from the right: Dual * double is the cheap product.)
  f.mass = (L.qn + R.qn - a * jump_eta) * 0.5;
  f.normal = (L.qn * L.u + R.qn * R.u - a * (R.qn - L.qn)) * 0.5;
  f.tangential = (L.qt * L.u + R.qt * R.u - a * (R.qt - L.qt)) * 0.5;
  f.pressure = (L.h + R.h) * jump_eta * (0.25 * g);
  return f;
}

/// U_next = U + dt L(U) (one forward-Euler stage). Inputs: U (3), b (1), water (1).
struct Update : Kernel<Inputs<3, 1, 1>, Outputs<3>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double g = 9.81;
  double dt_over_dx = 0.0;
  double dt_over_dy = 0.0;
  double smoothing = 0.0;  ///< delta (m/s) of the smoothed |u| and max

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S h = in.comp(0, 0, 0, 0);
    const S q[2] = {in.comp(0, 1, 0, 0), in.comp(0, 2, 0, 0)};
    const S b = in(1, 0, 0);
    if (!(undertow::value(in(2, 0, 0)) > 0.5)) {  // land: not part of the flow
      out(0, 0) = h;
      out(0, 1) = q[0];
      out(0, 2) = q[1];
      return;
    }
    const S c = undertow::sqrt(h * g);
    S dh = 0.0;
    S dq[2] = {S(0.0), S(0.0)};
    UNDERTOW_UNROLL
    for (int d = 0; d < 2; ++d) {
      const double r = d == 0 ? dt_over_dx : dt_over_dy;
      const int t = 1 - d;  // tangential direction
      const Side<S> self = make_side(h, q[d], q[t], b, c, smoothing);
      UNDERTOW_UNROLL
      for (int side = -1; side <= 1; side += 2) {
        const int oi = d == 0 ? side : 0;
        const int oj = d == 0 ? 0 : side;
        Side<S> other;
        if (undertow::value(in(2, oi, oj)) > 0.5) {
          const S hn = in.comp(0, 0, oi, oj);
          other = make_side(hn, S(in.comp(0, 1 + d, oi, oj)), S(in.comp(0, 1 + t, oi, oj)), S(in(1, oi, oj)),
                            S(undertow::sqrt(hn * g)), smoothing);
        } else {  // coastline: a reflective wall, the mirror image of this cell
          other = Side<S>{h, -self.qn, self.qt, b, -self.u, self.s};
        }
        const FaceFlux<S> f = side > 0 ? face_flux(self, other, g, smoothing) : face_flux(other, self, g, smoothing);
        // The right face (side = +1) removes its flux, the left face adds it.
        const double sr = side * r;  // exact: side = +-1
        dh -= f.mass * sr;
        dq[d] -= f.normal * sr + f.pressure * r;
        dq[t] -= f.tangential * sr;
      }
    }
    out(0, 0) = h + dh;
    out(0, 1) = q[0] + dq[0];
    out(0, 2) = q[1] + dq[1];
  }
};

/// Land and water from the still-water depth and the mask: bed = eta_rest -
/// depth; water = 1 where the mask says water (> 0.5) and the depth is positive
/// and at least min_depth, else 0; the depth of water cells (0 on land).
/// Inputs: depth (1), mask (1). Outputs: bed, water, water depth.
struct BedAndWater : Kernel<Inputs<1, 1>, Outputs<1, 1, 1>> {
  static constexpr Stencil stencil = Stencil::point(2);
  double eta_rest = 0.0;
  double min_depth = 0.0;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const double depth = undertow::value(in(0, 0, 0));
    const bool wet = undertow::value(in(1, 0, 0)) > 0.5 && depth > 0.0 && depth >= min_depth;
    out(0) = eta_rest - in(0, 0, 0);
    out(1) = S(wet ? 1.0 : 0.0);
    out(2) = wet ? S(in(0, 0, 0)) : S(0.0);
  }
};

/// A field restricted to water: the value on water cells, 0 on land.
/// Inputs: the field (1), water (1).
struct OnWater : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::point(2);
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    out(0) = undertow::value(in(1, 0, 0)) > 0.5 ? S(in(0, 0, 0)) : S(0.0);
  }
};

/// Initial state from the surface elevation: U = (eta0 - b, 0, 0) on water, 0 on
/// land. Inputs: eta0 (1), b (1), water (1).
struct InitialState : Kernel<Inputs<1, 1, 1>, Outputs<3>> {
  static constexpr Stencil stencil = Stencil::point(2);
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const bool water = undertow::value(in(2, 0, 0)) > 0.5;
    out(0, 0) = water ? S(in(0, 0, 0) - in(1, 0, 0)) : S(0.0);
    out(0, 1) = S(0.0);
    out(0, 2) = S(0.0);
  }
};

/// Gauge term of the objective: weight * (h + b - eta_rest)^2. Inputs: U (3),
/// b (1), gauge weight (1, zero on land).
struct GaugeTerm : Kernel<Inputs<3, 1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::point(2);
  double eta_rest = 0.0;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    const auto e = in.comp(0, 0, 0, 0) + in(1, 0, 0) - eta_rest;
    out(0) = e * e * in(2, 0, 0);
  }
};

/// Diagnostics of a state. Outputs: surface elevation h + b (eta_rest on land),
/// its anomaly h + b - eta_rest (0 on land), the depth h, a dry flag (1 where a
/// water cell has h <= 0), the CFL rate a_x/dx + a_y/dy (a: the face-speed bound
/// of `Update`) and the wave speed |u| + sqrt(g h). Inputs: U (3), b (1), water (1).
struct Diagnostics : Kernel<Inputs<3, 1, 1>, Outputs<1, 1, 1, 1, 1, 1>> {
  static constexpr Stencil stencil = Stencil::point(2);
  double g = 9.81;
  double eta_rest = 0.0;
  double inv_dx = 0.0;
  double inv_dy = 0.0;
  double smoothing = 0.0;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S h = in.comp(0, 0, 0, 0);
    const bool water = undertow::value(in(2, 0, 0)) > 0.5;
    out(0) = water ? S(h + in(1, 0, 0)) : S(eta_rest);
    out(1) = water ? S(h + in(1, 0, 0) - eta_rest) : S(0.0);
    out(2) = h;
    if (!water || !(undertow::value(h) > 0.0)) {
      out(3) = S(water ? 1.0 : 0.0);
      out(4) = S(0.0);
      out(5) = S(0.0);
      return;
    }
    const S u = in.comp(0, 1, 0, 0) / h;
    const S v = in.comp(0, 2, 0, 0) / h;
    const S c = undertow::sqrt(h * g);
    // Face speed <= the larger signal speed of the two sides + delta/2 (smooth max).
    const S ax = signal_speed(u, c, smoothing) + 0.5 * smoothing;
    const S ay = signal_speed(v, c, smoothing) + 0.5 * smoothing;
    out(3) = S(0.0);
    out(4) = ax * inv_dx + ay * inv_dy;
    out(5) = undertow::sqrt(u * u + v * v) + c;
  }
};

}  // namespace shallow_water
}  // namespace solvers
}  // namespace undertow
