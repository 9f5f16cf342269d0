// ImplicitHeat: backward-Euler heat equation
//   (I - dt div(kappa grad)) u^{n+1} = u^n,   n = 0 .. steps-1,
// one matrix-free CG solve per step inside an Undertow Program, with the gradient
// of the terminal misfit J = w/2 sum (u^N - u_obs)^2 with respect to the initial
// state u^0 and the conductivity kappa. The reverse sweep is a Problem's (every
// state kept, or binomial checkpointing with `snapshots`), and
// each step's adjoint is one more CG solve with the same symmetric operator.
//
// The step program: exchange kappa, fill its boundary ghosts (zero gradient), copy
// u into u_next (the CG's warm start: a deterministic initial guess), solve, copy
// u_next into u. Boundary conditions of u default to Dirichlet 0 on every
// non-periodic face. Only Undertow's public API is used; see docs/solvers.md.
#pragma once

#include <memory>
#include <optional>

#include "undertow/field/field.hpp"
#include "undertow/grid/decomposition.hpp"
#include "undertow/program/boundary.hpp"
#include "undertow/program/linear_solve.hpp"
#include "undertow/program/program.hpp"

namespace undertow {
namespace solvers {

struct ImplicitHeatOptions {
  double dt = 1e-3;
  LinearSolveOptions solve{};
  /// Conditions on u; default: Dirichlet 0 on every non-periodic face.
  std::optional<BoundaryConditions> boundary;
  double misfit_weight = 1.0;
  /// 0: store every step's state for the reverse sweep; > 0: binomial
  /// checkpointing with this many snapshots.
  int snapshots = 0;
};

class ImplicitHeat {
 public:
  explicit ImplicitHeat(std::shared_ptr<const Decomposition> decomposition, ImplicitHeatOptions options = {});

  /// Inputs: set their owned cells. state() is u^0 before run()/gradient().
  const Field<double>& state() const { return program_->value(u_); }
  const Field<double>& conductivity() const { return program_->value(kappa_); }
  const Field<double>& observation() const { return program_->value(obs_); }

  /// Advances the state by `steps`; returns the misfit of the final state.
  double run(int steps);
  /// From the current state u^0: J after `steps` and its gradient (the state is
  /// left at u^0). Gradients: gradient_initial_state(), gradient_conductivity().
  double gradient(int steps);

  const Field<double>& gradient_initial_state() const { return program_->adjoint(u_); }
  const Field<double>& gradient_conductivity() const { return program_->adjoint(kappa_); }
  const LinearSolveStats& stats() const { return *stats_; }

  Program& program() { return *program_; }
  Var u() const { return u_; }
  Var kappa() const { return kappa_; }
  double dt() const { return options_.dt; }

 private:
  ImplicitHeatOptions options_;
  std::unique_ptr<Program> program_;
  Var u_, u_next_, kappa_, obs_;
  std::shared_ptr<LinearSolveStats> stats_;
};

}  // namespace solvers
}  // namespace undertow
