// Poisson: -div(kappa grad u) = f on a structured grid, solved matrix-free by CG
// inside an Undertow Program, with the gradient of a misfit
// J(u) = w/2 sum (u - u_obs)^2 with respect to the source f and the conductivity
// kappa (implicit adjoint: one more CG solve, not a reverse through the iterations).
//
// The program is: exchange kappa, fill its boundary ghosts (zero gradient), solve
// A(kappa) u = f with `undertow::linear_solve` (Dirichlet walls on every
// non-periodic face by default), add the misfit. Users set the owned cells of
// conductivity(), source() and observation(), then call solve() or gradient().
// Kernel: poisson_kernels.hpp; set-up: src/poisson.cpp. Only Undertow's public
// API is used; docs/solvers.md has the details.
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

struct PoissonOptions {
  LinearSolveOptions solve{};
  /// Conditions on u; default: Dirichlet `wall_value` on every non-periodic face.
  std::optional<BoundaryConditions> boundary;
  double wall_value = 0.0;
  /// Weight w of the misfit J = w/2 sum over cells of (u - u_obs)^2.
  double misfit_weight = 1.0;
};

class Poisson {
 public:
  explicit Poisson(std::shared_ptr<const Decomposition> decomposition, PoissonOptions options = {});

  /// Inputs: set their owned cells (ghosts are filled by the program).
  const Field<double>& conductivity() const { return program_->value(kappa_); }
  const Field<double>& source() const { return program_->value(f_); }
  const Field<double>& observation() const { return program_->value(obs_); }

  /// Solves for u; returns the misfit J.
  double solve();
  /// Solves and back-propagates J; returns J. Gradients: gradient_source(), gradient_conductivity().
  double gradient();

  const Field<double>& solution() const { return program_->value(u_); }
  const Field<double>& gradient_source() const { return program_->adjoint(f_); }
  const Field<double>& gradient_conductivity() const { return program_->adjoint(kappa_); }
  const LinearSolveStats& stats() const { return *stats_; }

  Program& program() { return *program_; }
  Var u() const { return u_; }
  Var f() const { return f_; }
  Var kappa() const { return kappa_; }
  Var observation_var() const { return obs_; }

 private:
  std::unique_ptr<Program> program_;
  Var u_, f_, kappa_, obs_;
  std::shared_ptr<LinearSolveStats> stats_;
};

}  // namespace solvers
}  // namespace undertow
