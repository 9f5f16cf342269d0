#include "undertow/solvers/poisson.hpp"

#include "undertow/field/field_ops.hpp"
#include "undertow/solvers/poisson_kernels.hpp"
#include "undertow/time/problem.hpp"

namespace undertow {
namespace solvers {

namespace {

template <int Dim>
poisson::DiffusionOperator<Dim> laplacian(const GridSpec& grid) {
  poisson::DiffusionOperator<Dim> op;
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
  p.boundary(kappa_, BoundaryConditions::walls(grid, FaceCondition::neumann()));
  LinearSolveOptions solve = options.solve;
  solve.boundary =
      options.boundary.value_or(BoundaryConditions::walls(grid, FaceCondition::dirichlet(options.wall_value)));
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
