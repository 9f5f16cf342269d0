// BurgersSolver: the viscous Burgers equation for a scalar u in 2D (also 1D and
// 3D), conservative finite volumes with the Rusanov (local Lax-Friedrichs) flux
// and a spatially varying viscosity, written only against Undertow's public API.
//
//   du/dt + sum_d d/dx_d (u^2 / 2) = div(nu grad u)
//
// Forward Euler in time; per face between cells L and R (R = L + e_d):
//   F = (u_L^2 + u_R^2) / 4 - max(|u_L|, |u_R|) (u_R - u_L) / 2     (Rusanov)
//   G = nu_f (u_R - u_L) / h_d,  nu_f = (nu_L + nu_R) / 2            (viscous)
//   u^{n+1} = u^n - dt sum_d (F_{+} - F_{-}) / h_d + dt sum_d (G_{+} - G_{-}) / h_d.
// Each face flux is computed with the same operations by both cells, so the sum
// of u is conserved to round-off with periodic boundaries.
//
// Stability (monotone scheme, hence a maximum principle |u| <= max|u_0|):
//   dt <= dt_max = 1 / sum_d (U / h_d + 2 nu_max / h_d^2),  U = max |u_0|
// (or the user's bound `max_speed` if larger). A larger dt is refused at
// construction, with an Error that states dt_max; `check_stability()` re-checks
// for the current state.
//
// Boundaries (mesh): periodic (halo exchange); dirichlet(value): u = value on the
// face (ghost = 2 value - interior); wall: u = 0 on the face (u is a velocity in
// every direction, so the reflective wall is the odd reflection,
// WallReflection::velocity_scalar; an even one would let u pile up against it
// without bound, since Burgers transports u itself); neumann: zero gradient;
// outflow: zero-order extrapolation (the flux f(u) leaves or enters freely).
// Objective: J = 1/2 sum_cells (u_N - observation)^2; gradients dJ/du_0 and
// dJ/dnu (sensitivity to the viscosity in every cell), through Solver's verbs
// (time/solver.hpp). Kernel: burgers_kernels.hpp; set-up: src/burgers.cpp.
// See docs/solvers.md.
#pragma once

#include <string>

#include "undertow/time/solver.hpp"

namespace undertow {
namespace solvers {

struct BurgersParameters : SolverParameters {
  /// Fraction of the largest stable time step used when dt is 0; in (0, 1].
  double safety = 0.9;
  /// Constant viscosity (>= 0), unless `viscosity_function` or `viscosity_field` is given.
  double viscosity = 0.01;
  CellFunction viscosity_function;
  /// Name of a mesh cell field holding the viscosity (Mesh constructors only).
  std::string viscosity_field;
  /// Initial state u_0 and observations; zero if empty.
  CellFunction initial, observation;
  /// Upper bound of |u| used for the time-step limit if larger than max |u_0|.
  double max_speed = 0.0;
};

class BurgersSolver : public Solver {
 public:
  /// Collective. Throws Error on every rank for bad parameters, e.g. an unstable
  /// time step (stating the largest stable one) or a negative viscosity.
  /// A bare grid gets walls (u = 0) on its non-periodic faces.
  BurgersSolver(const SolverDomain& domain, const SolverPlacement& placement, BurgersParameters params = {});

  /// dt_max = 1 / sum_d (max_speed / h_d + 2 nu_max / h_d^2) (infinity if both vanish).
  static double largest_stable_dt(const GridSpec& grid, double max_speed, double nu_max);

  const BurgersParameters& parameters() const { return params_; }
  Var velocity() const { return u_; }
  Var viscosity() const { return nu_; }
  Var observation() const { return obs_; }
  const Field<double>& velocity_field() const { return program().value(u_); }
  const Field<double>& viscosity_field() const { return program().value(nu_); }
  const Field<double>& observation_field() const { return program().value(obs_); }
  /// After gradient() or function(n).adjoint(): dJ/du_0 and dJ/dnu.
  const Field<double>& gradient_initial_velocity() const { return program().adjoint(u_); }
  const Field<double>& gradient_viscosity() const { return program().adjoint(nu_); }

  /// Largest stable time step for the current state and viscosity (collective).
  double max_stable_dt() const;

  /// Setting the state or the viscosity re-checks the time step (collective).
  void set_velocity(const CellFunction& f);
  void set_velocity(const Field<double>& f);
  void set_viscosity(const CellFunction& f);
  void set_viscosity(const Field<double>& f);
  void set_observation(const CellFunction& f) { set_by_cell_center(observation_field(), f); }
  void set_observation(const Field<double>& f);

  /// Throws Error (on every rank) if the viscosity is negative or not finite, or
  /// if dt exceeds the largest stable time step of the current state.
  void check_stability();

  using Solver::tangent;
  /// dJ in direction (du_0, dnu) over n steps from the current state.
  double tangent(int n, const Field<double>& d_velocity, const Field<double>& d_viscosity) {
    return tangent(n, {d_velocity, d_viscosity});
  }

  std::string describe() const override;

 private:
  void build();

  BurgersParameters params_;
  Var u_, nu_, next_, obs_;
  double dt_max_ = 0.0, speed_ = 0.0, nu_max_ = 0.0;
};

}  // namespace solvers
}  // namespace undertow
