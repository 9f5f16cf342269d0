// ShallowWaterSolver (see include/undertow/solvers/shallow_water.hpp and
// docs/solvers.md, "Shallow water").
#include "undertow/solvers/shallow_water.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "undertow/core/format.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/halo/halo.hpp"
#include "undertow/kernel/kernel_application.hpp"
#include "undertow/program/boundary.hpp"
#include "undertow/solvers/shallow_water_kernels.hpp"

namespace undertow {
namespace solvers {

using namespace shallow_water;  // the kernels

const char* to_string(TimeScheme scheme) {
  return scheme == TimeScheme::ForwardEuler ? "forward Euler" : "SSP-RK2 (Heun)";
}

namespace {

constexpr int kGhost = 2;  // gather adjoints of the radius-1 update read 2 ghost layers

}  // namespace

// ---- construction ----

ShallowWaterSolver::ShallowWaterSolver(const SolverDomain& domain, const SolverPlacement& placement,
                                       ShallowWaterParameters params)
    : Solver("ShallowWaterSolver", domain.mesh(mesh::FaceBoundary::wall(), "shallow_water"), placement, params),
      params_(std::move(params)) {
  build();
}

double ShallowWaterSolver::largest_stable_dt(const GridSpec& grid, double face_speed) {
  return 1.0 / (face_speed * (1.0 / grid.spacing(0) + 1.0 / grid.spacing(1)));
}

void ShallowWaterSolver::build() {
  const ShallowWaterParameters& o = params_;
  const GridSpec& g = grid();
  check_mesh_field(o.depth_field);
  check_mesh_field(o.mask_field);
  BoundaryConditions bc_state;
  collective_check(decomposition().comm(), [&] {
    if (g.dim != 2) throw Error("ShallowWaterSolver: needs a 2D grid, got " + std::to_string(g.dim) + "D");
    if (!(o.gravity > 0) || !std::isfinite(o.gravity)) throw Error("ShallowWaterSolver: gravity must be > 0");
    check_time_step_request(o.dt, o.safety, "safety");
    if (!(o.speed_smoothing > 0) || !std::isfinite(o.speed_smoothing)) {
      throw Error(
          "ShallowWaterSolver: speed_smoothing must be > 0 (the flux is smoothed to stay differentiable), got " +
          format_number(o.speed_smoothing));
    }
    if (!(o.min_depth >= 0) || !std::isfinite(o.min_depth)) {
      throw Error("ShallowWaterSolver: min_depth must be >= 0, got " + format_number(o.min_depth));
    }
    if (!std::isfinite(o.eta_rest) || !std::isfinite(o.depth)) {
      throw Error("ShallowWaterSolver: eta_rest and depth must be finite");
    }
    if (!std::isfinite(o.gauge.x) || !std::isfinite(o.gauge.y) || !std::isfinite(o.gauge.radius)) {
      throw Error("ShallowWaterSolver: the gauge position and radius must be finite");
    }
    for (int d = 0; d < 2; ++d) {
      for (int side = 0; side < 2; ++side) {
        if (mesh().boundary().at(d, side).kind == mesh::BoundaryKind::Dirichlet) {
          throw Error("ShallowWaterSolver: face " + mesh::face_name(d, side) +
                      " is 'dirichlet', which the solver does not support (use wall, outflow, neumann or periodic)");
        }
      }
    }
    // Walls reflect (hu at x faces, hv at y faces change sign); outflow lets waves leave.
    bc_state = mesh::boundary_fills(mesh().boundary(), 2, mesh::WallReflection::momentum(1));
  });

  Program& p = program();
  U_ = p.add_state("h_hu_hv", 3, kGhost);
  b_ = p.add_parameter("bed", 1, kGhost);
  water_ = p.add_data("water", 1, kGhost);
  G_ = p.add_data("gauge_weight", 1, 0);
  U1_ = p.add_temporary("h_hu_hv_stage1", 3, kGhost);
  if (o.scheme == TimeScheme::SspRk2) U2_ = p.add_temporary("h_hu_hv_stage2", 3, kGhost);
  q_ = p.add_temporary("gauge_term", 1, 0);
  eta0_ = p.add_parameter("eta0", 1, 0);
  const Field<double>& eta0 = p.value(eta0_);
  eta_ = eta0.clone_layout("eta");
  anomaly_ = eta0.clone_layout("eta_anomaly");
  depth_h_ = eta0.clone_layout("h");
  dry_ = eta0.clone_layout("dry");
  rate_ = eta0.clone_layout("cfl_rate");
  speed_ = eta0.clone_layout("wave_speed");
  // The initial state U0 = (eta0 - b, 0, 0) on water: reset() and every Problem run it.
  p.set_section(Section::Initial);
  p.apply(InitialState{}, {eta0_, b_, water_}, {U_});
  p.set_section(Section::Step);

  set_bed_and_water();
  set_gauge_weights();

  // Initial state, stability and the time step (fixed from here on).
  if (o.initial_elevation) {
    set_by_cell_center(eta0, o.initial_elevation);
  } else {
    fill(eta0, o.eta_rest);
  }
  check_initial_state();

  // One time step as a program.
  Update update;
  update.g = o.gravity;
  update.dt_over_dx = dt() / g.spacing(0);
  update.dt_over_dy = dt() / g.spacing(1);
  update.smoothing = delta_;
  GaugeTerm gauge_term;
  gauge_term.eta_rest = o.eta_rest;
  p.exchange(b_);
  p.boundary(b_, BoundaryConditions::walls(g, FaceCondition::neumann()));
  p.exchange(U_);
  p.boundary(U_, bc_state);
  p.apply(update, {U_, b_, water_}, {U1_});
  if (o.scheme == TimeScheme::ForwardEuler) {
    p.copy(U_, U1_);
  } else {  // Heun: U = (U + E(E(U))) / 2
    p.exchange(U1_);
    p.boundary(U1_, bc_state);
    p.apply(update, {U1_, b_, water_}, {U2_});
    p.scale(U_, 0.5);
    p.axpy(U_, 0.5, U2_);
  }
  if (o.check_finite) p.check_finite(U_);
  p.apply(gauge_term, {U_, b_, G_}, {q_});
  p.objective_sum(q_, dt());
  set_problem_variables({eta0_, b_}, {U_});
  reset();
}

void ShallowWaterSolver::set_bed_and_water() {
  const ShallowWaterParameters& o = params_;
  const GridSpec& g = grid();
  Program& p = program();
  // Still-water depth -> bed b = eta_rest - depth; water = mask, depth > 0 and >= min_depth.
  Field<double> depth(decomposition_ptr(), "depth", 1, 0);
  set_coefficient(depth, o.depth_field, o.depth_function, o.depth);
  Field<double> mask(decomposition_ptr(), "mask", 1, 0);
  set_coefficient(mask, o.mask_field, CellFunction(), 1.0);
  const std::int64_t bad_depth = count_nonfinite(depth);
  if (bad_depth > 0) {
    throw Error("ShallowWaterSolver: the depth has " + std::to_string(bad_depth) + " non-finite values");
  }
  BedAndWater bed_and_water;
  bed_and_water.eta_rest = o.eta_rest;
  bed_and_water.min_depth = o.min_depth;
  const Field<double> water_depth = depth.clone_layout("water_depth");
  KernelApplication<BedAndWater>(bed_and_water, {depth, mask}, {p.value(b_), p.value(water_), water_depth}).forward();
  // The mask never changes: fill its ghosts once (halo, then mirror at the walls).
  Halo(decomposition_ptr(), HaloPattern::Box, kGhost).exchange(p.value(water_));
  apply_boundary(p.value(water_), BoundaryConditions::walls(g, FaceCondition::neumann()), 1, 1, false);
  water_cells_ = static_cast<std::int64_t>(sum(p.value(water_)));
  if (water_cells_ == 0) {
    throw Error("ShallowWaterSolver: no water cell (every cell is land, masked, or shallower than min_depth = " +
                format_number(o.min_depth) + " m)");
  }
  // Smoothing speed from the deepest water: delta = speed_smoothing * sqrt(g * max depth).
  delta_ = o.speed_smoothing * std::sqrt(o.gravity * max_abs(water_depth));
}

void ShallowWaterSolver::set_gauge_weights() {
  // A Gaussian on water cells, divided by its sum over the whole grid (a product
  // of two 1D sums, the same on every rank), so that the weights sum to the water
  // fraction of the footprint. (A global sum of the masked weights would round
  // differently on every rank count and break bitwise reproducibility.)
  const GridSpec& grid = this->grid();
  Gauge& gauge = params_.gauge;
  if (!(gauge.radius > 0)) {
    gauge.x = 0.5 * (grid.lower[0] + grid.upper[0]);
    gauge.y = 0.5 * (grid.lower[1] + grid.upper[1]);
    gauge.radius = 2.0 * std::max(grid.spacing(0), grid.spacing(1));
  }
  const double r2 = 2.0 * gauge.radius * gauge.radius;
  double sx = 0.0, sy = 0.0;
  for (std::int64_t i = 0; i < grid.cells[0]; ++i) sx += std::exp(-std::pow(grid.center(0, i) - gauge.x, 2) / r2);
  for (std::int64_t j = 0; j < grid.cells[1]; ++j) sy += std::exp(-std::pow(grid.center(1, j) - gauge.y, 2) / r2);
  const std::string where = "ShallowWaterSolver: the gauge at (" + format_number(gauge.x) + ", " +
                            format_number(gauge.y) + ") with radius " + format_number(gauge.radius) + " m ";
  if (!(sx * sy > 0.0)) throw Error(where + "lies outside the grid");
  const double norm = 1.0 / (sx * sy);
  const Field<double>& weights = program().value(G_);
  const Field<double> footprint = weights.clone_layout("gauge_footprint");
  set_by_cell_center(footprint, [&](double x, double y, double) {
    return norm * std::exp(-std::pow(x - gauge.x, 2) / r2) * std::exp(-std::pow(y - gauge.y, 2) / r2);
  });
  KernelApplication<OnWater>(OnWater{}, {footprint, program().value(water_)}, {weights}).forward();
  gauge_coverage_ = sum(weights);
  if (!(gauge_coverage_ > 1e-3)) {
    throw Error(where + "covers almost no water (water fraction of its footprint " + format_number(gauge_coverage_, 3) +
                "; move it offshore or widen it)");
  }
}

void ShallowWaterSolver::check_initial_state() {
  const std::int64_t bad = count_nonfinite(initial_elevation_field());
  if (bad > 0) {
    throw Error("ShallowWaterSolver: the initial surface elevation has " + std::to_string(bad) + " non-finite values");
  }
  program().run_forward(Section::Initial);
  diagnostics();
  const auto dry = static_cast<std::int64_t>(sum(dry_));
  if (dry > 0) {
    throw Error("ShallowWaterSolver: the initial water depth eta0 - b is <= 0 in " + std::to_string(dry) +
                " water cell(s); the solver has no wetting and drying: lower the initial surface there, or raise "
                "min_depth (now " +
                format_number(params_.min_depth) + " m) so that those cells become land");
  }
  // Global maxima: bitwise the same on every rank and for every decomposition.
  const double rate = max_abs(rate_);
  max_speed_ = max_abs(speed_);
  dt_max_ = 1.0 / rate;
  const GridSpec& g = grid();
  choose_time_step(params_.dt, params_.safety, dt_max_,
                   "the CFL condition of the initial state, max wave speed |u| + sqrt(g h) = " +
                       format_number(max_speed_, 4) + " m/s, dx = " + format_number(g.spacing(0), 4) +
                       " m, dy = " + format_number(g.spacing(1), 4) + " m; dt = 0 takes safety * that",
                   params_.enforce_cfl);
}

// ---- initial state ----

void ShallowWaterSolver::set_initial_elevation(const CellFunction& eta0) {
  if (!eta0) throw Error("ShallowWaterSolver: set_initial_elevation needs a function");
  set_by_cell_center(initial_elevation_field(), eta0);
  check_initial_state();
  reset();
}

void ShallowWaterSolver::set_initial_elevation(const Field<double>& eta0) {
  copy(initial_elevation_field(), eta0);
  check_initial_state();
  reset();
}

void ShallowWaterSolver::reset() {
  program().run_forward(Section::Initial);
  restart_clock();
}

// ---- diagnostics ----

void ShallowWaterSolver::diagnostics() const {
  Diagnostics diag;
  diag.g = params_.gravity;
  diag.eta_rest = params_.eta_rest;
  diag.inv_dx = 1.0 / grid().spacing(0);
  diag.inv_dy = 1.0 / grid().spacing(1);
  diag.smoothing = delta_;
  KernelApplication<Diagnostics>(diag, {state_field(), bed_field(), water_field()},
                                 {eta_, anomaly_, depth_h_, dry_, rate_, speed_})
      .forward();
}

void ShallowWaterSolver::surface_elevation(const Field<double>& eta) const {
  diagnostics();
  copy(eta, eta_);
}

double ShallowWaterSolver::volume() const {
  diagnostics();
  return sum(depth_h_) * grid().spacing(0) * grid().spacing(1);
}

double ShallowWaterSolver::gauge_elevation() const {
  diagnostics();
  return dot(gauge_field(), eta_) / gauge_coverage_;
}

double ShallowWaterSolver::max_elevation() const {
  diagnostics();
  return max_abs(anomaly_);
}

// ---- derivatives ----

double ShallowWaterSolver::tangent(int n, const Field<double>& d_eta0, const Field<double>& d_bed,
                                   const Field<double>& final_state_tangent) {
  if (!final_state_tangent.valid()) return tangent(n, {d_eta0, d_bed});
  return tangent(n, {d_eta0, d_bed}, {final_state_tangent});
}

std::string ShallowWaterSolver::describe() const {
  const GridSpec& g = grid();
  std::ostringstream os;
  os << "shallow-water solver: " << g.cells[0] << " x " << g.cells[1] << " cells of " << format_number(g.spacing(0), 4)
     << " x " << format_number(g.spacing(1), 4) << " m, " << water_cells_ << " water, on " << decomposition().size()
     << " rank(s) (" << decomposition().ranks_per_dim()[0] << " x " << decomposition().ranks_per_dim()[1] << ")\n  "
     << to_string(params_.scheme) << ", dt = " << format_number(dt(), 5) << " s (largest stable "
     << format_number(dt_max_, 5) << " s, ratio " << format_number(dt() / dt_max_, 3) << "), max wave speed "
     << format_number(max_speed_, 4) << " m/s\n  boundary: " << mesh().boundary().describe(g.dim)
     << "; adjoint assembly: " << to_string(params_.adjoint_form);
  return os.str();
}

}  // namespace solvers
}  // namespace undertow
