// AdvectionSolver (see include/undertow/solvers/advection.hpp and docs/solvers.md).
#include "undertow/solvers/advection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "undertow/core/format.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/program/boundary.hpp"
#include "undertow/solvers/advection_kernels.hpp"

namespace undertow {
namespace solvers {

const char* to_string(Limiter l) {
  switch (l) {
    case Limiter::Upwind:
      return "upwind";
    case Limiter::Minmod:
      return "minmod";
    case Limiter::VanLeer:
      return "vanleer";
  }
  return "?";
}

Limiter limiter_from_string(const std::string& s) {
  if (s == "upwind" || s == "none") return Limiter::Upwind;
  if (s == "minmod") return Limiter::Minmod;
  if (s == "vanleer" || s == "van-leer" || s == "van_leer") return Limiter::VanLeer;
  throw Error("unknown limiter '" + s + "': expected upwind, minmod or vanleer");
}

AdvectionSolver::AdvectionSolver(const SolverDomain& domain, const SolverPlacement& placement,
                                 AdvectionParameters params)
    : Solver("AdvectionSolver", domain.mesh(mesh::FaceBoundary::outflow(), "advection"), placement, params),
      params_(std::move(params)) {
  build();
}

double AdvectionSolver::largest_stable_dt(const GridSpec& grid, const std::array<double, 3>& velocity) {
  double rate = 0.0;
  for (int d = 0; d < grid.dim; ++d)
    rate = std::max(rate, std::abs(velocity[static_cast<std::size_t>(d)]) / grid.spacing(d));
  return rate > 0.0 ? 1.0 / rate : std::numeric_limits<double>::infinity();
}

void AdvectionSolver::set_tracer(const Field<double>& f) {
  copy(tracer_field(), f);
}

void AdvectionSolver::set_observation(const Field<double>& f) {
  copy(observation_field(), f);
}

void AdvectionSolver::choose_courant_numbers() {
  const GridSpec& g = grid();
  for (int d = 0; d < g.dim; ++d) {
    if (!std::isfinite(params_.velocity[static_cast<std::size_t>(d)])) {
      throw Error("AdvectionSolver: the velocity must be finite");
    }
  }
  check_time_step_request(params_.dt, params_.courant, "the Courant number");
  dt_max_ = largest_stable_dt(g, params_.velocity);
  if (!std::isfinite(dt_max_) && params_.dt == 0.0) {
    throw Error("AdvectionSolver: the velocity is zero, so there is no Courant limit: give dt explicitly");
  }
  auto rate = [&](int d) { return std::abs(params_.velocity[static_cast<std::size_t>(d)]) / g.spacing(d); };
  if (params_.dt == 0.0) {
    // nu_d = courant * (rate_d / rate_max): exactly `courant` on the fastest axis.
    double rate_max = 0.0;
    for (int d = 0; d < g.dim; ++d) rate_max = std::max(rate_max, rate(d));
    set_dt(params_.courant / rate_max, dt_max_);
    for (int d = 0; d < g.dim; ++d) nu_[static_cast<std::size_t>(d)] = params_.courant * (rate(d) / rate_max);
    return;
  }
  set_dt(params_.dt, dt_max_);
  std::ostringstream courants;
  bool unstable = false;
  for (int d = 0; d < g.dim; ++d) {
    const double nu = rate(d) * dt();
    courants << (d ? ", " : "") << format_number(nu);
    unstable = unstable || nu > 1.0 + 1e-12;
    nu_[static_cast<std::size_t>(d)] = std::min(nu, 1.0);
  }
  if (unstable) {
    throw Error("AdvectionSolver: the time step dt = " + format_number(dt()) +
                " is unstable (Courant numbers |a_d| dt / h_d = (" + courants.str() +
                "), at most 1 allowed); the largest stable time step is dt_max = " + format_down(dt_max_) +
                " (min_d h_d / |a_d|)");
  }
}

namespace {

template <int Dim, int Axis, int Upwind>
advection::MusclSweep<Dim, Axis, Upwind> sweep(double nu, Limiter limiter) {
  advection::MusclSweep<Dim, Axis, Upwind> k;
  k.nu = nu;
  k.limiter = limiter == Limiter::Upwind ? 0 : limiter == Limiter::Minmod ? 1 : 2;
  return k;
}

/// The sweep along Axis, oriented by the sign of the velocity component.
template <int Dim, int Axis>
void add_oriented_sweep(Program& p, const AdvectionParameters& params, double nu, Var in, Var out) {
  if (params.velocity[Axis] > 0.0) {
    p.apply(sweep<Dim, Axis, -1>(nu, params.limiter), {in}, {out});
  } else {
    p.apply(sweep<Dim, Axis, 1>(nu, params.limiter), {in}, {out});
  }
}

}  // namespace

void AdvectionSolver::add_sweep(int axis, Var in, Var out) {
  Program& p = program();
  const double nu = nu_[static_cast<std::size_t>(axis)];
  switch (grid().dim * 3 + axis) {
    case 3:
      return add_oriented_sweep<1, 0>(p, params_, nu, in, out);
    case 6:
      return add_oriented_sweep<2, 0>(p, params_, nu, in, out);
    case 7:
      return add_oriented_sweep<2, 1>(p, params_, nu, in, out);
    case 9:
      return add_oriented_sweep<3, 0>(p, params_, nu, in, out);
    case 10:
      return add_oriented_sweep<3, 1>(p, params_, nu, in, out);
    default:
      return add_oriented_sweep<3, 2>(p, params_, nu, in, out);
  }
}

void AdvectionSolver::build() {
  collective_check(decomposition().comm(), [&] { choose_courant_numbers(); });

  Program& p = program();
  const GridSpec& g = grid();
  const int ghost = 4;  // radius-2 stencil: gather adjoints read 4 layers
  u_ = p.add_state("tracer", 1, ghost);
  obs_ = p.add_data("observation", 1, 0);

  // dirichlet: an inflow value; outflow extrapolates (what flows out leaves).
  const BoundaryConditions bc = mesh::boundary_fills(mesh().boundary(), g.dim);
  std::vector<int> active;
  for (int d = 0; d < g.dim; ++d) {
    if (params_.velocity[static_cast<std::size_t>(d)] != 0.0) active.push_back(d);
  }
  // Sweeps alternate between two temporaries and end in u (a copy if they end elsewhere).
  Var temp[2];
  if (!active.empty()) temp[0] = p.add_temporary("tracer_sweep_1", 1, ghost);
  if (active.size() > 2) temp[1] = p.add_temporary("tracer_sweep_2", 1, ghost);
  Var cur = u_;
  for (std::size_t a = 0; a < active.size(); ++a) {
    const bool last = a + 1 == active.size();
    Var out = (last && cur.id != u_.id) ? u_ : (cur.id == temp[0].id ? temp[1] : temp[0]);
    p.exchange(cur);
    p.boundary(cur, bc);
    add_sweep(active[a], cur, out);
    cur = out;
  }
  if (cur.id != u_.id) p.copy(u_, cur);
  if (params_.check_finite) p.check_finite(u_);

  p.set_section(Section::Final);
  p.objective_misfit(u_, obs_, 1.0);
  p.set_section(Section::Step);
  set_problem_variables({u_}, {u_});

  if (params_.initial) set_tracer(params_.initial);
  if (params_.observation) set_observation(params_.observation);
}

std::string AdvectionSolver::describe() const {
  std::ostringstream os;
  os << "advection solver: " << grid().dim << "D, " << grid().describe() << "\n  velocity (";
  for (int d = 0; d < grid().dim; ++d) os << (d ? ", " : "") << params_.velocity[static_cast<std::size_t>(d)];
  os << "), dt = " << dt() << " (largest stable " << dt_max_ << "), Courant (";
  for (int d = 0; d < grid().dim; ++d) os << (d ? ", " : "") << nu_[static_cast<std::size_t>(d)];
  os << "), limiter " << to_string(params_.limiter) << "\n  boundary: " << mesh().boundary().describe(grid().dim)
     << "\n  adjoint assembly: " << to_string(params_.adjoint_form);
  return os.str();
}

}  // namespace solvers
}  // namespace undertow
