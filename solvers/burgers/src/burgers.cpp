// BurgersSolver (see include/undertow/solvers/burgers.hpp and docs/solvers.md).
#include "undertow/solvers/burgers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

#include "undertow/core/format.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/program/boundary.hpp"
#include "undertow/solvers/burgers_kernels.hpp"

namespace undertow {
namespace solvers {

BurgersSolver::BurgersSolver(const SolverDomain& domain, const SolverPlacement& placement, BurgersParameters params)
    : Solver("BurgersSolver", domain.mesh(mesh::FaceBoundary::wall(), "burgers"), placement, params),
      params_(std::move(params)) {
  build();
}

double BurgersSolver::largest_stable_dt(const GridSpec& grid, double max_speed, double nu_max) {
  double rate = 0.0;
  for (int d = 0; d < grid.dim; ++d) {
    const double h = grid.spacing(d);
    rate += max_speed / h + 2.0 * nu_max / (h * h);
  }
  return rate > 0.0 ? 1.0 / rate : std::numeric_limits<double>::infinity();
}

double BurgersSolver::max_stable_dt() const {
  return largest_stable_dt(grid(), std::max(params_.max_speed, max_abs(velocity_field())), max_abs(viscosity_field()));
}

void BurgersSolver::set_velocity(const CellFunction& f) {
  set_by_cell_center(velocity_field(), f);
  check_stability();
}

void BurgersSolver::set_velocity(const Field<double>& f) {
  copy(velocity_field(), f);
  check_stability();
}

void BurgersSolver::set_viscosity(const CellFunction& f) {
  set_by_cell_center(viscosity_field(), f);
  check_stability();
}

void BurgersSolver::set_viscosity(const Field<double>& f) {
  copy(viscosity_field(), f);
  check_stability();
}

void BurgersSolver::set_observation(const Field<double>& f) {
  copy(observation_field(), f);
}

void BurgersSolver::check_stability() {
  const Field<double>& nu = viscosity_field();
  const std::int64_t bad = count_nonfinite(nu) + count_nonfinite(velocity_field());
  const double nu_min = min_value(nu);
  if (bad > 0 || !(nu_min >= 0.0)) {
    throw Error("BurgersSolver: the viscosity must be finite and >= 0 and the state finite; " +
                (bad > 0 ? std::to_string(bad) + " values are NaN or infinite"
                         : "the smallest viscosity is " + format_number(nu_min)));
  }
  speed_ = std::max(params_.max_speed, max_abs(velocity_field()));
  nu_max_ = max_abs(nu);
  dt_max_ = largest_stable_dt(grid(), speed_, nu_max_);
  std::ostringstream why;
  why << "dt <= 1 / sum_d (U / h_d + 2 nu_max / h_d^2) with U = max(max|u|, max_speed) = " << format_number(speed_)
      << ", nu_max = " << format_number(nu_max_) << ", h = (";
  for (int d = 0; d < grid().dim; ++d) why << (d ? ", " : "") << format_number(grid().spacing(d));
  why << ")";
  choose_time_step(params_.dt, params_.safety, dt_max_, why.str());
}

namespace {

template <int Dim>
burgers::BurgersKernel<Dim> burgers_kernel(const GridSpec& g, double dt) {
  burgers::BurgersKernel<Dim> k;
  for (int d = 0; d < Dim; ++d) {
    const double h = g.spacing(d);
    k.dt_h[d] = dt / h;
    k.dt_h2[d] = dt / (h * h);
  }
  return k;
}

}  // namespace

void BurgersSolver::build() {
  check_mesh_field(params_.viscosity_field);
  collective_check(decomposition().comm(), [&] {
    check_time_step_request(params_.dt, params_.safety, "safety");
    if (!(params_.max_speed >= 0.0) || !std::isfinite(params_.max_speed)) {
      throw Error("BurgersSolver: max_speed must be finite and >= 0");
    }
  });

  Program& p = program();
  const GridSpec& g = grid();
  const int ghost = 2;
  u_ = p.add_state("velocity", 1, ghost);
  nu_ = p.add_parameter("viscosity", 1, ghost);
  next_ = p.add_temporary("velocity_next", 1, ghost);
  obs_ = p.add_data("observation", 1, 0);

  set_coefficient(viscosity_field(), params_.viscosity_field, params_.viscosity_function, params_.viscosity);
  if (params_.initial) set_by_cell_center(velocity_field(), params_.initial);
  if (params_.observation) set_observation(params_.observation);
  check_stability();

  // u is a velocity in every direction: a wall reflects it oddly (u = 0 on the
  // face; an even reflection would let u pile up against the wall, since Burgers
  // transports u itself).
  const BoundaryConditions bc_u =
      mesh::boundary_fills(mesh().boundary(), g.dim, mesh::WallReflection::velocity_scalar());
  p.exchange(u_);
  p.boundary(u_, bc_u);
  p.exchange(nu_);
  p.boundary(nu_, BoundaryConditions::walls(g, FaceCondition::neumann()));
  if (g.dim == 1) p.apply(burgers_kernel<1>(g, dt()), {u_, nu_}, {next_});
  if (g.dim == 2) p.apply(burgers_kernel<2>(g, dt()), {u_, nu_}, {next_});
  if (g.dim == 3) p.apply(burgers_kernel<3>(g, dt()), {u_, nu_}, {next_});
  p.copy(u_, next_);
  if (params_.check_finite) p.check_finite(u_);

  p.set_section(Section::Final);
  p.objective_misfit(u_, obs_, 1.0);
  p.set_section(Section::Step);
  set_problem_variables({u_, nu_}, {u_});
}

std::string BurgersSolver::describe() const {
  std::ostringstream os;
  os << "Burgers solver: " << grid().dim << "D, " << grid().describe() << "\n  dt = " << dt() << " (largest stable "
     << dt_max_ << " for max|u| = " << speed_ << ", max nu = " << nu_max_
     << ")\n  boundary: " << mesh().boundary().describe(grid().dim)
     << "\n  adjoint assembly: " << to_string(params_.adjoint_form);
  return os.str();
}

}  // namespace solvers
}  // namespace undertow
