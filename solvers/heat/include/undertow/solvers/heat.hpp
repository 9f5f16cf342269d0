// HeatSolver: explicit heat conduction (diffusion) with a spatially varying
// conductivity, in 1D, 2D or 3D, written only against Undertow's public API.
//
//   du/dt = div(kappa grad u)
//
// Finite volumes on the cell-centred grid, forward Euler in time. The flux through
// the face between cells P and N is kappa_f (u_N - u_P) / h_d with the harmonic
// mean kappa_f = 2 kappa_P kappa_N / (kappa_P + kappa_N) (the exact face value for
// layered media; it keeps the flux continuous across jumps of kappa):
//
//   u_P^{n+1} = u_P^n + dt sum_d sum_{N = P +- e_d} kappa_f (u_N - u_P) / h_d^2.
//
// Stability (maximum principle and the von Neumann bound, which coincide here):
//   dt <= dt_max = 1 / (2 max(kappa) sum_d 1 / h_d^2).
// A larger dt is refused at construction with an Error that states dt_max.
//
// One time step is a Program (halo exchanges, boundary fill, one kernel, a copy,
// optionally a NaN/Inf check); the objective is the terminal misfit
//   J = 1/2 sum_cells (u_N - observation)^2
// (a Final-section term). The verbs are Solver's (time/solver.hpp): step/run
// forward, `tangent`, and `gradient(n)` or `function(n)` (a Problem: every state
// kept, or revolve), giving dJ/du_0 (sensitivity to the initial temperature) and
// dJ/dkappa (sensitivity to the conductivity of every cell). The kernel is in
// heat_kernels.hpp, the set-up in src/heat.cpp.
//
// Boundary conditions come from a mesh::BoundarySpec: periodic (halo exchange),
// wall and neumann (insulated: zero flux), dirichlet(value) (fixed face
// temperature), outflow (zero-order extrapolation), through
// mesh::boundary_fills. The conductivity is mirrored at
// non-periodic faces. See docs/solvers.md.
#pragma once

#include <string>

#include "undertow/solvers/conduction.hpp"

namespace undertow {
namespace solvers {

struct HeatParameters : ConductionParameters {
  /// Fraction of the largest stable time step used when dt is 0; in (0, 1].
  double safety = 0.9;
};

class HeatSolver : public ConductionSolver {
 public:
  /// Collective over the placement's communicator. Throws Error (on every rank)
  /// for a bad parameter: a non-positive conductivity, an unstable time step
  /// (the message states the largest stable one), an unknown mesh field.
  /// A bare grid gets insulated (neumann) walls on its non-periodic faces.
  HeatSolver(const SolverDomain& domain, const SolverPlacement& placement, HeatParameters params = {});

  /// dt_max = 1 / (2 kappa_max sum_d 1/h_d^2).
  static double largest_stable_dt(const GridSpec& grid, double kappa_max);

  const HeatParameters& parameters() const { return params_; }

  /// Largest stable time step for the conductivity currently held (collective).
  double max_stable_dt() const;

  /// Sets kappa and re-checks positivity and the time step (collective; throws on every rank).
  void set_conductivity(const CellFunction& f);
  void set_conductivity(const Field<double>& f);

  using Solver::tangent;
  /// dJ in direction (du_0, dkappa) over n steps from the current state (the
  /// temperature is restored afterwards). Directions have the layouts of
  /// temperature_field() / conductivity_field() (use clone_layout).
  double tangent(int n, const Field<double>& d_temperature, const Field<double>& d_conductivity) {
    return tangent(n, {d_temperature, d_conductivity});
  }

  std::string describe() const override;

 private:
  void build();
  /// Positivity of kappa and stability of dt (collective; identical outcome on every rank).
  void check_parameters();

  HeatParameters params_;
  Var next_;
  double dt_max_ = 0.0, kappa_max_ = 0.0, kappa_min_ = 0.0;
};

}  // namespace solvers
}  // namespace undertow
