// shallow_water_hand.hpp: the shallow-water update (the flagship's kernel,
// undertow::solvers::shallow_water::Update) with a hand-written primal and a
// hand-written gather adjoint, the practical limit bench_kernels compares the
// library's adjoint with.
//
// The primal runs the kernel's own face functions (make_side, face_flux) on doubles
// in row loops. The adjoint is derived on paper from the flux form: the update of
// cell c is U_c + sum over its four faces of +-r F(face), and a face between L and
// R (L left of R along direction d, r = dt/dx_d) enters
//   out_L: -r (mass, normal + pressure, tangential),
//   out_R: +r mass, +r normal - r pressure, +r tangential,
// a land cell (water < 0.5) keeps its value and is seen by its water neighbours
// as the mirror image of themselves (a wall). So each face has the weights
//   mass_bar = r (hb_R - hb_L),   normal_bar = r (qdb_R - qdb_L),
//   tang_bar = r (qtb_R - qtb_L), pressure_bar = -r (qdb_L + qdb_R)
// (a land cell's out_bar counts as 0), and cell c gathers out_bar(c) plus, over
// its four faces, the face's reverse (face_flux_adjoint) restricted to c's side,
// folded back through make_side (and through the mirror at a wall). One
// evaluation of each face per cell that touches it, radius 1, no atomics.
#pragma once

#include <Kokkos_Core.hpp>

#include "kernel_cases.hpp"
#include "undertow/solvers/shallow_water_kernels.hpp"

namespace undertow::bench {

using ShallowWater = solvers::shallow_water::Update;

namespace sw_hand {

using solvers::shallow_water::face_flux;
using solvers::shallow_water::FaceFlux;
using solvers::shallow_water::make_side;
using solvers::shallow_water::Side;

/// Adjoints of the fields of one Side.
struct SideBar {
  double h = 0, qn = 0, qt = 0, b = 0, u = 0, s = 0;
};

/// Reverse of face_flux(L, R): adds to Lb, Rb the adjoints of the side values
/// for the flux adjoints fb.
KOKKOS_FORCEINLINE_FUNCTION void face_flux_adjoint(const Side<double>& L, const Side<double>& R,
                                                   const FaceFlux<double>& fb, double g, double delta, SideBar& Lb,
                                                   SideBar& Rb) {
  const double gap = L.s - R.s;
  const double root = undertow::sqrt(gap * gap + delta * delta);
  const double a = (L.s + R.s + root) * 0.5;
  const double jump = (R.h + R.b) - (L.h + L.b);
  const double a_bar = -0.5 * (fb.mass * jump + fb.normal * (R.qn - L.qn) + fb.tangential * (R.qt - L.qt));
  const double jump_bar = -0.5 * fb.mass * a + 0.25 * g * (L.h + R.h) * fb.pressure;
  const double h_from_pressure = 0.25 * g * jump * fb.pressure;
  Lb.qn += 0.5 * fb.mass + 0.5 * fb.normal * (L.u + a);
  Rb.qn += 0.5 * fb.mass + 0.5 * fb.normal * (R.u - a);
  Lb.u += 0.5 * (fb.normal * L.qn + fb.tangential * L.qt);
  Rb.u += 0.5 * (fb.normal * R.qn + fb.tangential * R.qt);
  Lb.qt += 0.5 * fb.tangential * (L.u + a);
  Rb.qt += 0.5 * fb.tangential * (R.u - a);
  Lb.h += h_from_pressure - jump_bar;
  Rb.h += h_from_pressure + jump_bar;
  Lb.b -= jump_bar;
  Rb.b += jump_bar;
  Lb.s += 0.5 * a_bar * (1.0 + gap / root);
  Rb.s += 0.5 * a_bar * (1.0 - gap / root);
}

/// Field access of the benchmark's layout: component c of the cell at offset o.
struct Cells {
  const double* p;
  std::ptrdiff_t component_stride;
  KOKKOS_FORCEINLINE_FUNCTION double operator()(int c, std::ptrdiff_t o) const { return p[c * component_stride + o]; }
};

}  // namespace sw_hand

inline void shallow_water_hand_primal(const ShallowWater& kernel, const Field<double>& state, const Field<double>& bed,
                                      const Field<double>& water, const Field<double>& out) {
  using namespace sw_hand;
  const RowLayout l = RowLayout::of(state);
  const Cells U{raw(state), static_cast<std::ptrdiff_t>(state.view().stride(0))};
  const double* B = raw(bed);
  const double* W = raw(water);
  double* O = raw(out);
  const std::ptrdiff_t oc = static_cast<std::ptrdiff_t>(out.view().stride(0));
  const ShallowWater k = kernel;
  Kokkos::parallel_for(
      "hand::shallow_water_primal", l.policy(), KOKKOS_LAMBDA(int row) {
        const std::ptrdiff_t o0 = l.row_start(row);
        const std::ptrdiff_t step[2] = {l.stride[0], 1};
        for (int j = 0; j < l.row_length; ++j) {
          const std::ptrdiff_t o = o0 + j;
          const double h = U(0, o), q[2] = {U(1, o), U(2, o)}, b = B[o];
          double result[3] = {h, q[0], q[1]};
          if (W[o] > 0.5) {
            const double c = undertow::sqrt(h * k.g);
            for (int d = 0; d < 2; ++d) {
              const double r = d == 0 ? k.dt_over_dx : k.dt_over_dy;
              const int t = 1 - d;
              const Side<double> self = make_side(h, q[d], q[t], b, c, k.smoothing);
              for (int side = -1; side <= 1; side += 2) {
                const std::ptrdiff_t n = o + side * step[d];
                Side<double> other;
                if (W[n] > 0.5) {
                  const double hn = U(0, n);
                  other = make_side(hn, U(1 + d, n), U(1 + t, n), B[n], undertow::sqrt(hn * k.g), k.smoothing);
                } else {
                  other = Side<double>{h, -self.qn, self.qt, b, -self.u, self.s};
                }
                const FaceFlux<double> f =
                    side > 0 ? face_flux(self, other, k.g, k.smoothing) : face_flux(other, self, k.g, k.smoothing);
                const double sr = side * r;
                result[0] -= f.mass * sr;
                result[1 + d] -= f.normal * sr + f.pressure * r;
                result[1 + t] -= f.tangential * sr;
              }
            }
          }
          for (int comp = 0; comp < 3; ++comp) O[comp * oc + o] = result[comp];
        }
      });
}

/// state_bar += (d out / d state)^T out_bar, bed_bar += (d out / d bed)^T out_bar
/// (the mask is passive: no adjoint).
inline void shallow_water_hand_adjoint(const ShallowWater& kernel, const Field<double>& state, const Field<double>& bed,
                                       const Field<double>& water, const Field<double>& out_bar,
                                       const Field<double>& state_bar, const Field<double>& bed_bar) {
  using namespace sw_hand;
  const RowLayout l = RowLayout::of(state);
  const Cells U{raw(state), static_cast<std::ptrdiff_t>(state.view().stride(0))};
  const Cells OB{raw(out_bar), static_cast<std::ptrdiff_t>(out_bar.view().stride(0))};
  const double* B = raw(bed);
  const double* W = raw(water);
  double* UB = raw(state_bar);
  double* BB = raw(bed_bar);
  const std::ptrdiff_t ubc = static_cast<std::ptrdiff_t>(state_bar.view().stride(0));
  const ShallowWater k = kernel;
  Kokkos::parallel_for(
      "hand::shallow_water_adjoint", l.policy(), KOKKOS_LAMBDA(int row) {
        const std::ptrdiff_t o0 = l.row_start(row);
        const std::ptrdiff_t step[2] = {l.stride[0], 1};
        for (int j = 0; j < l.row_length; ++j) {
          const std::ptrdiff_t o = o0 + j;
          // Own output: the identity part (land cells: all of it).
          double bar[3] = {OB(0, o), OB(1, o), OB(2, o)};
          double b_bar = 0.0;
          if (W[o] > 0.5) {
            const double h = U(0, o), q[2] = {U(1, o), U(2, o)}, b = B[o];
            const double c = undertow::sqrt(h * k.g);
            double h_bar = 0.0, c_bar = 0.0, q_bar[2] = {0.0, 0.0};
            for (int d = 0; d < 2; ++d) {
              const double r = d == 0 ? k.dt_over_dx : k.dt_over_dy;
              const int t = 1 - d;
              const Side<double> self = make_side(h, q[d], q[t], b, c, k.smoothing);
              SideBar self_bar;
              for (int side = -1; side <= 1; side += 2) {
                const std::ptrdiff_t n = o + side * step[d];
                const bool wet = W[n] > 0.5;
                Side<double> other;
                if (wet) {
                  const double hn = U(0, n);
                  other = make_side(hn, U(1 + d, n), U(1 + t, n), B[n], undertow::sqrt(hn * k.g), k.smoothing);
                } else {
                  other = Side<double>{h, -self.qn, self.qt, b, -self.u, self.s};
                }
                // The face's weights from both cells' output adjoints (a land cell's count as 0).
                const double own[3] = {OB(0, o), OB(1 + d, o), OB(1 + t, o)};
                const double nb[3] = {wet ? OB(0, n) : 0.0, wet ? OB(1 + d, n) : 0.0, wet ? OB(1 + t, n) : 0.0};
                const double* left = side > 0 ? own : nb;
                const double* right = side > 0 ? nb : own;
                FaceFlux<double> fb;
                fb.mass = r * (right[0] - left[0]);
                fb.normal = r * (right[1] - left[1]);
                fb.tangential = r * (right[2] - left[2]);
                fb.pressure = -r * (left[1] + right[1]);
                SideBar lb, rb;
                if (side > 0) {
                  face_flux_adjoint(self, other, fb, k.g, k.smoothing, lb, rb);
                } else {
                  face_flux_adjoint(other, self, fb, k.g, k.smoothing, lb, rb);
                }
                const SideBar& mine = side > 0 ? lb : rb;
                const SideBar& theirs = side > 0 ? rb : lb;
                self_bar.h += mine.h;
                self_bar.qn += mine.qn;
                self_bar.qt += mine.qt;
                self_bar.b += mine.b;
                self_bar.u += mine.u;
                self_bar.s += mine.s;
                if (!wet) {  // the wall's side is the mirror image of this cell's
                  self_bar.h += theirs.h;
                  self_bar.qn -= theirs.qn;
                  self_bar.qt += theirs.qt;
                  self_bar.b += theirs.b;
                  self_bar.u -= theirs.u;
                  self_bar.s += theirs.s;
                }
              }
              // Through make_side: u = qn / h, s = sqrt(u^2 + delta^2) + c.
              const double u = self.u;
              const double u_total = self_bar.u + self_bar.s * u / undertow::sqrt(u * u + k.smoothing * k.smoothing);
              h_bar += self_bar.h - u_total * u / h;
              q_bar[d] += self_bar.qn + u_total / h;
              q_bar[t] += self_bar.qt;
              b_bar += self_bar.b;
              c_bar += self_bar.s;
            }
            h_bar += c_bar * k.g / (2.0 * c);  // c = sqrt(g h)
            bar[0] += h_bar;
            bar[1] += q_bar[0];
            bar[2] += q_bar[1];
          }
          for (int comp = 0; comp < 3; ++comp) UB[comp * ubc + o] += bar[comp];
          BB[o] += b_bar;
        }
      });
}

}  // namespace undertow::bench
