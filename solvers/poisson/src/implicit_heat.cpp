#include "undertow/solvers/implicit_heat.hpp"

#include "undertow/field/field_ops.hpp"
#include "undertow/solvers/diffusion_operator.hpp"
#include "undertow/solvers/poisson.hpp"
#include "undertow/time/problem.hpp"

namespace undertow {
namespace solvers {
namespace {

template <int Dim>
DiffusionOperator<Dim> backward_euler(const GridSpec& grid, double dt) {
  DiffusionOperator<Dim> op;
  op.mass = 1.0;
  op.scale = dt;
  for (int d = 0; d < Dim; ++d) op.inv_h2[d] = 1.0 / (grid.spacing(d) * grid.spacing(d));
  return op;
}

}  // namespace

ImplicitHeat::ImplicitHeat(std::shared_ptr<const Decomposition> decomposition, ImplicitHeatOptions options)
    : options_(options), program_(std::make_unique<Program>(decomposition)) {
  if (!(options_.dt > 0.0)) throw Error("ImplicitHeat: dt must be positive, got " + std::to_string(options_.dt));
  Program& p = *program_;
  const GridSpec& grid = decomposition->grid();
  u_ = p.add_state("u", 1, 1);
  u_next_ = p.add_temporary("u_next", 1, 1);
  kappa_ = p.add_parameter("kappa", 1, 2);
  obs_ = p.add_data("u_observed");
  p.exchange(kappa_);
  p.boundary(kappa_, Poisson::zero_gradient_walls(grid));
  p.copy(u_next_, u_);
  LinearSolveOptions solve = options_.solve;
  solve.boundary = options_.boundary.value_or(Poisson::dirichlet_walls(grid, 0.0));
  solve.warm_start = true;
  if (solve.name.empty()) solve.name = "backward Euler step";
  switch (grid.dim) {
    case 1:
      stats_ = linear_solve(p, backward_euler<1>(grid, options_.dt), u_next_, u_, {kappa_}, solve);
      break;
    case 2:
      stats_ = linear_solve(p, backward_euler<2>(grid, options_.dt), u_next_, u_, {kappa_}, solve);
      break;
    default:
      stats_ = linear_solve(p, backward_euler<3>(grid, options_.dt), u_next_, u_, {kappa_}, solve);
      break;
  }
  p.copy(u_, u_next_);
  p.set_section(Section::Final);
  p.objective_misfit(u_, obs_, options_.misfit_weight);
  p.set_section(Section::Step);
  fill(p.value(kappa_), 1.0);
}

double ImplicitHeat::run(int steps) {
  Program& p = *program_;
  p.set_objective(0.0);
  for (int n = 0; n < steps; ++n) p.run_forward(Section::Step);
  p.run_forward(Section::Final);
  return p.objective();
}

double ImplicitHeat::gradient(int steps) {
  ProblemOptions options;
  options.steps = steps;
  options.checkpointing.snapshots = options_.snapshots;
  const double objective = Problem(*program_, {u_, kappa_}, {}, options).gradient().objective;
  program_->set_objective(objective);
  return objective;
}

}  // namespace solvers
}  // namespace undertow
