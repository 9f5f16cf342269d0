// HeatSolver (see include/undertow/solvers/heat.hpp and docs/solvers.md).
#include "undertow/solvers/heat.hpp"

#include <sstream>
#include <utility>

#include "undertow/core/format.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/program/boundary.hpp"
#include "undertow/solvers/heat_kernels.hpp"

namespace undertow {
namespace solvers {

HeatSolver::HeatSolver(const SolverDomain& domain, const SolverPlacement& placement, HeatParameters params)
    : ConductionSolver("HeatSolver", domain.mesh(mesh::FaceBoundary::neumann(), "heat"), placement, params),
      params_(std::move(params)) {
  build();
}

double HeatSolver::largest_stable_dt(const GridSpec& grid, double kappa_max) {
  double s = 0.0;
  for (int d = 0; d < grid.dim; ++d) s += 1.0 / (grid.spacing(d) * grid.spacing(d));
  return 1.0 / (2.0 * kappa_max * s);
}

double HeatSolver::max_stable_dt() const {
  return largest_stable_dt(grid(), max_abs(conductivity_field()));
}

void HeatSolver::set_conductivity(const CellFunction& f) {
  set_by_cell_center(conductivity_field(), f);
  check_parameters();
}

void HeatSolver::set_conductivity(const Field<double>& f) {
  copy(conductivity_field(), f);
  check_parameters();
}

namespace {

template <int Dim>
heat::HeatKernel<Dim> heat_kernel(const GridSpec& g, double dt) {
  heat::HeatKernel<Dim> k;
  for (int d = 0; d < Dim; ++d) k.c[d] = dt / (g.spacing(d) * g.spacing(d));
  return k;
}

}  // namespace

void HeatSolver::build() {
  check_mesh_field(params_.conductivity_field);
  collective_check(decomposition().comm(), [&] { check_time_step_request(params_.dt, params_.safety, "safety"); });

  Program& p = program();
  const GridSpec& g = grid();
  const int ghost = 2;  // radius-1 stencil: gather adjoints read 2 layers
  add_conduction_variables(ghost);
  next_ = p.add_temporary("temperature_next", 1, ghost);
  set_conduction_fields(params_);
  check_parameters();

  p.exchange(u_);
  p.boundary(u_, mesh::boundary_fills(mesh().boundary(), g.dim));  // walls insulated, dirichlet fixes the face
  p.exchange(kappa_);
  p.boundary(kappa_, BoundaryConditions::walls(g, FaceCondition::neumann()));  // kappa mirrored
  if (g.dim == 1) p.apply(heat_kernel<1>(g, dt()), {u_, kappa_}, {next_});
  if (g.dim == 2) p.apply(heat_kernel<2>(g, dt()), {u_, kappa_}, {next_});
  if (g.dim == 3) p.apply(heat_kernel<3>(g, dt()), {u_, kappa_}, {next_});
  p.copy(u_, next_);
  if (params_.check_finite) p.check_finite(u_);

  p.set_section(Section::Final);
  p.objective_misfit(u_, obs_, 1.0);
  p.set_section(Section::Step);
  set_problem_variables({u_, kappa_}, {u_});
}

void HeatSolver::check_parameters() {
  const Field<double>& k = conductivity_field();
  const std::int64_t bad = count_nonfinite(k);
  kappa_max_ = max_abs(k);
  kappa_min_ = min_value(k);
  if (bad > 0 || !(kappa_min_ > 0.0)) {
    throw Error("HeatSolver: the conductivity must be finite and > 0 in every cell; " +
                (bad > 0 ? std::to_string(bad) + " values are NaN or infinite"
                         : "its minimum is " + format_number(kappa_min_)));
  }
  dt_max_ = largest_stable_dt(grid(), kappa_max_);
  std::ostringstream why;
  why << "explicit diffusion needs dt <= 1 / (2 max(kappa) sum_d 1/h_d^2) with max(kappa) = "
      << format_number(kappa_max_) << ", h = (";
  for (int d = 0; d < grid().dim; ++d) why << (d ? ", " : "") << format_number(grid().spacing(d));
  why << ")";
  choose_time_step(params_.dt, params_.safety, dt_max_, why.str());
}

std::string HeatSolver::describe() const {
  std::ostringstream os;
  os << "heat solver: " << grid().dim << "D, " << grid().describe() << "\n  dt = " << dt() << " (largest stable "
     << dt_max_ << ", ratio " << dt() / dt_max_ << "), conductivity in [" << kappa_min_ << ", " << kappa_max_
     << "]\n  boundary: " << mesh().boundary().describe(grid().dim)
     << "\n  adjoint assembly: " << to_string(params_.adjoint_form);
  return os.str();
}

}  // namespace solvers
}  // namespace undertow
