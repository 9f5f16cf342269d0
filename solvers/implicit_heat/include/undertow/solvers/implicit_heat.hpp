// ImplicitHeatSolver: backward-Euler heat conduction
//   (I - dt div(kappa grad)) u^{n+1} = u^n,   n = 0 .. steps-1,
// one matrix-free CG solve per step inside an Undertow Program, with the gradient
// of the terminal misfit J = w/2 sum (u^N - u_obs)^2 with respect to the initial
// temperature u^0 and the conductivity kappa. The verbs are Solver's
// (time/solver.hpp): gradient(n, checkpointing) reverses every step with one more
// CG solve of the same symmetric operator (an implicit adjoint, not a reverse
// through the iterations); every state kept by default, or revolve.
//
// The step program: exchange kappa, fill its boundary ghosts (zero gradient), copy
// u into u_next (the CG's warm start: a deterministic initial guess), solve, copy
// u_next into u. Boundaries from the mesh (mesh::boundary_fills: dirichlet fixes the
// face temperature, wall and neumann are insulated, outflow extrapolates); the default mesh holds
// the temperature at 0 on every non-periodic face. Backward Euler is stable for
// every dt > 0, so there is no limit to derive dt from: it must be given. The operator is Poisson's
// (poisson_kernels.hpp) with a mass term; set-up in src/implicit_heat.cpp.
#pragma once

#include <string>

#include "undertow/program/linear_solve.hpp"
#include "undertow/solvers/conduction.hpp"

namespace undertow {
namespace solvers {

struct ImplicitHeatParameters : ConductionParameters {
  // dt (from SolverParameters) must be given: > 0.
  /// Weight w of the misfit J = w/2 sum over cells of (u - u_obs)^2.
  double misfit_weight = 1.0;
  /// The CG solve of every step (tolerance, iteration cap, preconditioner).
  LinearSolveOptions solve{};
};

class ImplicitHeatSolver : public ConductionSolver {
 public:
  /// Collective. Throws Error on every rank for dt <= 0 or an unknown mesh field.
  /// A bare grid gets u = 0 (dirichlet) walls on its non-periodic faces.
  ImplicitHeatSolver(const SolverDomain& domain, const SolverPlacement& placement, ImplicitHeatParameters params = {});

  const ImplicitHeatParameters& parameters() const { return params_; }
  /// Iterations and solves of the CG so far (forward and adjoint).
  const LinearSolveStats& stats() const { return *stats_; }

  std::string describe() const override;

 private:
  void build();

  ImplicitHeatParameters params_;
  Var u_next_;
  std::shared_ptr<LinearSolveStats> stats_;
};

}  // namespace solvers
}  // namespace undertow
