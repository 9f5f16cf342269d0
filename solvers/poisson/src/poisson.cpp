#include "undertow/solvers/poisson.hpp"

#include "undertow/field/field_ops.hpp"
#include "undertow/solvers/diffusion_operator.hpp"
#include "undertow/time/problem.hpp"

namespace undertow {
namespace solvers {

BoundaryConditions Poisson::dirichlet_walls(const GridSpec& grid, double value) {
  BoundaryConditions bc;
  for (int d = 0; d < grid.dim; ++d) {
    if (!grid.periodic[d]) bc.set(d, 0, FaceCondition::dirichlet(value)).set(d, 1, FaceCondition::dirichlet(value));
  }
  return bc;
}

BoundaryConditions Poisson::zero_gradient_walls(const GridSpec& grid) {
  BoundaryConditions bc;
  for (int d = 0; d < grid.dim; ++d) {
    if (!grid.periodic[d]) bc.set(d, 0, FaceCondition::neumann()).set(d, 1, FaceCondition::neumann());
  }
  return bc;
}

namespace {

template <int Dim>
DiffusionOperator<Dim> laplacian(const GridSpec& grid) {
  DiffusionOperator<Dim> op;
  op.mass = 0.0;
  op.scale = 1.0;
  for (int d = 0; d < Dim; ++d) op.inv_h2[d] = 1.0 / (grid.spacing(d) * grid.spacing(d));
  return op;
}

}  // namespace

Poisson::Poisson(std::shared_ptr<const Decomposition> decomposition, PoissonOptions options)
    : program_(std::make_unique<Program>(decomposition)) {
  Program& p = *program_;
  const GridSpec& grid = decomposition->grid();
  kappa_ = p.add_parameter("kappa", 1, 2);  // ghost 2: the gather adjoint of a radius-1 stencil
  f_ = p.add_parameter("f", 1, 0);
  u_ = p.add_temporary("u", 1, 1);
  obs_ = p.add_data("u_observed");
  p.exchange(kappa_);
  p.boundary(kappa_, zero_gradient_walls(grid));
  LinearSolveOptions solve = options.solve;
  solve.boundary = options.boundary.value_or(dirichlet_walls(grid, options.wall_value));
  if (solve.name.empty()) solve.name = "Poisson solve";
  switch (grid.dim) {
    case 1:
      stats_ = linear_solve(p, laplacian<1>(grid), u_, f_, {kappa_}, solve);
      break;
    case 2:
      stats_ = linear_solve(p, laplacian<2>(grid), u_, f_, {kappa_}, solve);
      break;
    default:
      stats_ = linear_solve(p, laplacian<3>(grid), u_, f_, {kappa_}, solve);
      break;
  }
  p.objective_misfit(u_, obs_, options.misfit_weight);
  fill(p.value(kappa_), 1.0);
}

double Poisson::solve() {
  program_->set_objective(0.0);
  program_->run_forward();
  return program_->objective();
}

double Poisson::gradient() {
  const double objective = Problem(*program_, {kappa_, f_}, {}, {1}).gradient().objective;
  program_->set_objective(objective);  // as solve() leaves it
  return objective;
}

}  // namespace solvers
}  // namespace undertow
