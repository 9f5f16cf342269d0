// AdvectionSolver: linear advection of a scalar by a constant velocity with a
// limited second-order upwind (MUSCL / flux-limited Lax-Wendroff) scheme, in 1D,
// 2D or 3D, written only against Undertow's public API.
//
//   du/dt + a . grad u = 0,   a constant.
//
// Dimensional splitting: one sweep per axis with a nonzero velocity component,
// x then y then z. In a sweep with Courant number nu = |a_d| dt / h_d, written in
// the upwind-oriented index (v_m = u_{i - m sign(a_d)}, so v_1 is upwind):
//
//   u_i^new = (1 - nu) v_0 + nu v_1 - nu (1 - nu) / 2 (sigma_0 - sigma_1),
//   sigma_m = phi(v_m - v_{m+1}, v_{m-1} - v_m),
//
// with the slope limiter phi = minmod or van Leer (or 0: first-order upwind).
// Limiters are not differentiable where the data is flat (a = b = 0) or where
// minmod's two slopes tie; derivatives there are those of the branch taken (the
// convention of operator-overloading AD), consistent between tangent and adjoint.
// This is the flux form u_i - nu (F_{i+1/2} - F_{i-1/2}) with the face value
// F_{i+1/2} = u_i + (1 - nu)/2 sigma_i reconstructed upwind; the (1 - nu) factor
// makes the scheme TVD for nu <= 1 and, at nu = 1, the exact translation by one
// cell per step (bitwise: the update reduces to u_i^new = v_1).
//
// Stability: nu_d <= 1 on every axis, i.e. dt <= dt_max = min_d h_d / |a_d|. A
// larger dt is refused at construction with an Error that states dt_max.
//
// Objective: J = 1/2 sum_cells (u_N - observation)^2 (Final section). Gradient:
// dJ/du_0, the sensitivity of the final misfit to the initial tracer field (the
// adjoint transports the misfit backwards along the flow, through the same
// limiter branches the forward run took). Boundary conditions from a mesh:
// periodic (halo exchange), dirichlet(value) (inflow value), outflow (zero-order
// extrapolation: both ghost layers of the radius-2 stencil copy the last cell),
// wall and neumann (mirror). Verbs: Solver's (time/solver.hpp); kernel:
// advection_kernels.hpp; set-up: src/advection.cpp. See docs/solvers.md.
#pragma once

#include <array>
#include <string>

#include "undertow/time/solver.hpp"

namespace undertow {
namespace solvers {

/// Slope limiter of the MUSCL reconstruction.
enum class Limiter {
  Upwind,  ///< no reconstruction: first-order upwind (linear)
  Minmod,  ///< phi(a, b) = 0 if ab <= 0, else the one of a, b with the smaller magnitude
  VanLeer  ///< phi(a, b) = 0 if ab <= 0, else 2ab / (a + b)
};

const char* to_string(Limiter l);
/// "upwind", "minmod", "vanleer" (also "van-leer", "van_leer"); throws Error otherwise.
Limiter limiter_from_string(const std::string& s);

struct AdvectionParameters : SolverParameters {
  /// Constant velocity (components of unused dimensions are ignored).
  std::array<double, 3> velocity{1.0, 0.0, 0.0};
  /// Largest Courant number max_d |a_d| dt / h_d when dt is 0; in (0, 1].
  double courant = 0.9;
  Limiter limiter = Limiter::VanLeer;
  /// Initial field u_0(x, y, z) and observations for the misfit; zero if empty.
  CellFunction initial, observation;
};

class AdvectionSolver : public Solver {
 public:
  /// Collective. Throws Error on every rank for an unstable time step (stating
  /// the largest stable one) or other bad parameters.
  /// A bare grid gets outflow (extrapolating) faces on its non-periodic faces.
  AdvectionSolver(const SolverDomain& domain, const SolverPlacement& placement, AdvectionParameters params = {});

  /// dt_max = min_d h_d / |a_d| over the dimensions with a_d != 0 (infinity if a = 0).
  static double largest_stable_dt(const GridSpec& grid, const std::array<double, 3>& velocity);

  const AdvectionParameters& parameters() const { return params_; }
  Var tracer() const { return u_; }
  Var observation() const { return obs_; }
  const Field<double>& tracer_field() const { return program().value(u_); }
  const Field<double>& observation_field() const { return program().value(obs_); }
  /// After gradient() or function(n).adjoint(): dJ/du_0.
  const Field<double>& gradient_initial_tracer() const { return program().adjoint(u_); }

  double max_stable_dt() const { return dt_max_; }
  /// Courant number |a_d| dt / h_d used in dimension d.
  double courant(int d) const { return nu_[static_cast<std::size_t>(d)]; }

  void set_tracer(const CellFunction& f) { set_by_cell_center(tracer_field(), f); }
  void set_tracer(const Field<double>& f);
  void set_observation(const CellFunction& f) { set_by_cell_center(observation_field(), f); }
  void set_observation(const Field<double>& f);

  using Solver::tangent;
  /// dJ in direction du_0 over n steps from the current field.
  double tangent(int n, const Field<double>& d_tracer) { return tangent(n, std::vector<Field<double>>{d_tracer}); }

  std::string describe() const override;

 private:
  void build();
  /// dt and the Courant number of every axis (collective: Error on every rank).
  void choose_courant_numbers();
  void add_sweep(int axis, Var in, Var out);

  AdvectionParameters params_;
  Var u_, obs_;
  double dt_max_ = 0.0;
  std::array<double, 3> nu_{0.0, 0.0, 0.0};
};

}  // namespace solvers
}  // namespace undertow
