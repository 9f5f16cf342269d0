// ImplicitHeatSolver (see include/undertow/solvers/implicit_heat.hpp and docs/solvers.md).
#include "undertow/solvers/implicit_heat.hpp"

#include <sstream>
#include <utility>

#include "undertow/core/format.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/program/boundary.hpp"
#include "undertow/solvers/poisson_kernels.hpp"

namespace undertow {
namespace solvers {
namespace {

template <int Dim>
poisson::DiffusionOperator<Dim> backward_euler(const GridSpec& grid, double dt) {
  poisson::DiffusionOperator<Dim> op;
  op.mass = 1.0;
  op.scale = dt;
  for (int d = 0; d < Dim; ++d) op.inv_h2[d] = 1.0 / (grid.spacing(d) * grid.spacing(d));
  return op;
}

}  // namespace

ImplicitHeatSolver::ImplicitHeatSolver(const SolverDomain& domain, const SolverPlacement& placement,
                                       ImplicitHeatParameters params)
    : ConductionSolver("ImplicitHeatSolver", domain.mesh(mesh::FaceBoundary::dirichlet(0.0), "implicit_heat"),
                       placement, params),
      params_(std::move(params)) {
  build();
}

void ImplicitHeatSolver::build() {
  check_mesh_field(params_.conductivity_field);
  collective_check(decomposition().comm(), [&] {
    if (!(params_.dt > 0.0) || !std::isfinite(params_.dt)) {
      throw Error(
          "ImplicitHeatSolver: dt must be positive and finite (backward Euler has no stability limit to "
          "derive one from), got " +
          format_number(params_.dt));
    }
  });
  set_dt(params_.dt);
  Program& p = program();
  const GridSpec& grid = this->grid();
  add_conduction_variables(1);
  u_next_ = p.add_temporary("temperature_next", 1, 1);
  p.exchange(kappa_);
  p.boundary(kappa_, BoundaryConditions::walls(grid, FaceCondition::neumann()));
  p.copy(u_next_, u_);
  LinearSolveOptions solve = params_.solve;
  solve.boundary = mesh::boundary_fills(mesh().boundary(), grid.dim);
  solve.warm_start = true;
  if (solve.name.empty()) solve.name = "backward Euler step";
  if (grid.dim == 1) stats_ = linear_solve(p, backward_euler<1>(grid, dt()), u_next_, u_, {kappa_}, solve);
  if (grid.dim == 2) stats_ = linear_solve(p, backward_euler<2>(grid, dt()), u_next_, u_, {kappa_}, solve);
  if (grid.dim == 3) stats_ = linear_solve(p, backward_euler<3>(grid, dt()), u_next_, u_, {kappa_}, solve);
  p.copy(u_, u_next_);
  if (params_.check_finite) p.check_finite(u_);
  p.set_section(Section::Final);
  p.objective_misfit(u_, obs_, params_.misfit_weight);
  p.set_section(Section::Step);
  set_problem_variables({u_, kappa_}, {u_});

  set_conduction_fields(params_);
}

std::string ImplicitHeatSolver::describe() const {
  std::ostringstream os;
  os << "implicit heat solver: " << grid().dim << "D, " << grid().describe() << "\n  backward Euler, dt = " << dt()
     << ", CG relative tolerance " << params_.solve.relative_tolerance
     << "\n  boundary: " << mesh().boundary().describe(grid().dim)
     << "\n  adjoint assembly: " << to_string(params_.adjoint_form);
  return os.str();
}

}  // namespace solvers
}  // namespace undertow
