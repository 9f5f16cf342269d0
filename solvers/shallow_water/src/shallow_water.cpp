// ShallowWaterSolver (see include/undertow/solvers/shallow_water.hpp and
// docs/solvers.md, "Shallow water").
#include "undertow/solvers/shallow_water.hpp"

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "undertow/solvers/shallow_water_kernels.hpp"

namespace undertow {
namespace solvers {

using namespace shallow_water;  // the kernels

const char* to_string(TimeScheme scheme) {
  return scheme == TimeScheme::ForwardEuler ? "forward Euler" : "SSP-RK2 (Heun)";
}

namespace {

constexpr int kGhost = 2;  // gather adjoints of the radius-1 update read 2 ghost layers

std::string fmt(double x, int precision = 6) {
  std::ostringstream os;
  os << std::setprecision(precision) << x;
  return os.str();
}

/// x rounded down to 6 significant digits (a printed limit that is itself stable).
std::string fmt_down(double x) {
  std::string s = fmt(x, 6);
  double v = std::strtod(s.c_str(), nullptr);
  if (v > x && x > 0) {
    const double ulp6 = std::pow(10.0, std::floor(std::log10(x)) - 5);
    s = fmt(v - ulp6, 6);
  }
  return s;
}

using Policy2 = Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>;

Policy2 owned_2d(const Field<double>& f) {
  const Box b = f.owned_box();
  return Policy2({b.lo[0], b.lo[1]}, {b.hi[0], b.hi[1]});
}

/// The state's conditions on the grid faces, from the mesh's description.
BoundaryConditions state_conditions(const mesh::BoundarySpec& spec) {
  BoundaryConditions bc;
  for (int d = 0; d < 2; ++d) {
    for (int side = 0; side < 2; ++side) {
      switch (spec.at(d, side).kind) {
        case mesh::BoundaryKind::Periodic:
          break;  // the halo exchange
        case mesh::BoundaryKind::Wall:
          bc.set(d, side, FaceCondition::reflect(d + 1));
          break;
        case mesh::BoundaryKind::Neumann:
        case mesh::BoundaryKind::Outflow:
          bc.set(d, side, FaceCondition::neumann());  // zero gradient: waves leave
          break;
        case mesh::BoundaryKind::Dirichlet:
          throw Error("ShallowWaterSolver: face " + mesh::face_name(d, side) +
                      " is 'dirichlet', which the solver does not support (use wall, outflow, neumann or periodic)");
      }
    }
  }
  return bc;
}

/// Zero-gradient conditions on every non-periodic face (bed, mask).
BoundaryConditions scalar_conditions(const GridSpec& grid) {
  BoundaryConditions bc;
  for (int d = 0; d < grid.dim; ++d) {
    if (!grid.periodic[d]) bc.set(d, 0, FaceCondition::neumann()).set(d, 1, FaceCondition::neumann());
  }
  return bc;
}

bool has_walls(const GridSpec& grid) {
  for (int d = 0; d < grid.dim; ++d) {
    if (!grid.periodic[d]) return true;
  }
  return false;
}

// The solver's own device loops, as free functions (CUDA allows no device
// lambda in a private member function such as build()).

/// bed = eta_rest - depth and water = 1 where the mask says water and the depth is
/// positive and at least min_depth (else 0, and the depth is zeroed there).
/// depth and mask are owned-only; bed and water have kGhost ghost layers.
void bed_and_water(const Field<double>& depth, const Field<double>& mask, const Field<double>& bed,
                   const Field<double>& water, double min_depth, double eta_rest) {
  auto dv = depth.view();
  auto mv = mask.view();
  auto bv = bed.view();
  auto wv = water.view();
  const int gb = kGhost;
  Kokkos::parallel_for(
      "shallow_water::bed_and_mask", owned_2d(depth), KOKKOS_LAMBDA(int i, int j) {
        const double d = dv(0, i, j, 0);
        const bool wet = mv(0, i, j, 0) > 0.5 && d > 0.0 && d >= min_depth;
        bv(0, i + gb, j + gb, 0) = eta_rest - d;
        wv(0, i + gb, j + gb, 0) = wet ? 1.0 : 0.0;
        dv(0, i, j, 0) = wet ? d : 0.0;
      });
}

/// g *= water on owned cells (g owned-only, water with kGhost ghost layers).
void restrict_to_water(const Field<double>& g, const Field<double>& water) {
  auto gv = g.view();
  auto wv = water.view();
  const int gb = kGhost;
  Kokkos::parallel_for(
      "shallow_water::gauge_on_water", owned_2d(g),
      KOKKOS_LAMBDA(int i, int j) { gv(0, i, j, 0) *= wv(0, i + gb, j + gb, 0); });
}

}  // namespace

class ShallowWaterSolver::Impl {
 public:
  Impl(std::shared_ptr<const Decomposition> dec, AdjointForm form) : program(std::move(dec), ProgramOptions{form}) {}

  Program program;
  Var U, b, eta0, water, G, U1, U2, q;
  // Diagnostics outputs (ghost 0).
  Field<double> eta, anomaly, depth_h, dry, rate, speed;
  Diagnostics diag;

  void diagnostics() const {
    KernelApplication<Diagnostics>(diag, {program.value(U), program.value(b), program.value(water)},
                                   {eta, anomaly, depth_h, dry, rate, speed})
        .forward();
  }
};

// ---- construction ----

ShallowWaterSolver::ShallowWaterSolver(const mesh::Mesh& mesh, std::shared_ptr<const Decomposition> decomposition,
                                       ShallowWaterParameters params)
    : mesh_(mesh), params_(std::move(params)), dec_(std::move(decomposition)) {
  build();
}

ShallowWaterSolver::ShallowWaterSolver(const mesh::Mesh& mesh, MPI_Comm comm, ShallowWaterParameters params)
    : ShallowWaterSolver(mesh, mesh.decompose(comm, params.ranks_per_dim), params) {}

ShallowWaterSolver::ShallowWaterSolver(const GridSpec& grid, MPI_Comm comm, ShallowWaterParameters params)
    : ShallowWaterSolver(default_mesh(grid), comm, std::move(params)) {}

ShallowWaterSolver::ShallowWaterSolver(const GridSpec& grid, std::shared_ptr<const Decomposition> decomposition,
                                       ShallowWaterParameters params)
    : ShallowWaterSolver(default_mesh(grid), std::move(decomposition), std::move(params)) {}

ShallowWaterSolver::~ShallowWaterSolver() = default;

mesh::Mesh ShallowWaterSolver::default_mesh(const GridSpec& grid) {
  return mesh::Mesh(grid, mesh::BoundarySpec::periodic_or(grid, mesh::FaceBoundary::wall()), "shallow_water");
}

double ShallowWaterSolver::largest_stable_dt(const GridSpec& grid, double face_speed) {
  return 1.0 / (face_speed * (1.0 / grid.spacing(0) + 1.0 / grid.spacing(1)));
}

void ShallowWaterSolver::build() {
  if (!dec_) throw Error("ShallowWaterSolver: null decomposition");
  const ShallowWaterParameters& o = params_;
  const GridSpec& grid = dec_->grid();
  BoundaryConditions bc_state;
  collective_check(dec_->comm(), [&] {
    const GridSpec& m = mesh_.grid();
    bool same = m.dim == grid.dim;
    for (int d = 0; d < 3; ++d) same = same && m.cells[d] == grid.cells[d] && m.periodic[d] == grid.periodic[d];
    if (!same) throw Error("ShallowWaterSolver: the decomposition's grid is not the mesh's grid");
    if (grid.dim != 2) throw Error("ShallowWaterSolver: needs a 2D grid, got " + std::to_string(grid.dim) + "D");
    if (!(o.gravity > 0) || !std::isfinite(o.gravity)) throw Error("ShallowWaterSolver: gravity must be > 0");
    if (!(o.safety > 0 && o.safety <= 1)) {
      throw Error("ShallowWaterSolver: safety must lie in (0, 1], got " + fmt(o.safety));
    }
    if (!(o.dt >= 0) || !std::isfinite(o.dt)) {
      throw Error("ShallowWaterSolver: the time step must be a finite positive number (0: automatic), got " +
                  fmt(o.dt));
    }
    if (!(o.speed_smoothing > 0) || !std::isfinite(o.speed_smoothing)) {
      throw Error(
          "ShallowWaterSolver: speed_smoothing must be > 0 (the flux is smoothed to stay differentiable), got " +
          fmt(o.speed_smoothing));
    }
    if (!(o.min_depth >= 0) || !std::isfinite(o.min_depth)) {
      throw Error("ShallowWaterSolver: min_depth must be >= 0, got " + fmt(o.min_depth));
    }
    if (!std::isfinite(o.eta_rest) || !std::isfinite(o.depth)) {
      throw Error("ShallowWaterSolver: eta_rest and depth must be finite");
    }
    if (!std::isfinite(o.gauge.x) || !std::isfinite(o.gauge.y) || !std::isfinite(o.gauge.radius)) {
      throw Error("ShallowWaterSolver: the gauge position and radius must be finite");
    }
    if (!o.depth_field.empty()) mesh_.field_info(o.depth_field);  // throws, listing the mesh's fields
    if (!o.mask_field.empty()) mesh_.field_info(o.mask_field);
    bc_state = state_conditions(mesh_.boundary());
  });

  impl_ = std::make_unique<Impl>(dec_, o.adjoint_form);
  Impl& m = *impl_;
  Program& p = m.program;
  m.U = p.add_state("h_hu_hv", 3, kGhost);
  m.b = p.add_parameter("bed", 1, kGhost);
  m.water = p.add_data("water", 1, kGhost);
  m.G = p.add_data("gauge_weight", 1, 0);
  m.U1 = p.add_temporary("h_hu_hv_stage1", 3, kGhost);
  if (o.scheme == TimeScheme::SspRk2) m.U2 = p.add_temporary("h_hu_hv_stage2", 3, kGhost);
  m.q = p.add_temporary("gauge_term", 1, 0);
  m.eta0 = p.add_parameter("eta0", 1, 0);
  const Field<double>& eta0 = p.value(m.eta0);
  m.eta = eta0.clone_layout("eta");
  m.anomaly = eta0.clone_layout("eta_anomaly");
  m.depth_h = eta0.clone_layout("h");
  m.dry = eta0.clone_layout("dry");
  m.rate = eta0.clone_layout("cfl_rate");
  m.speed = eta0.clone_layout("wave_speed");
  // The initial state U0 = (eta0 - b, 0, 0) on water: reset() and every Problem run it.
  p.set_section(Section::Initial);
  p.apply(InitialState{}, {m.eta0, m.b, m.water}, {m.U});
  p.set_section(Section::Step);
  auto cell_fn = [&](const CellFunction& f) {
    return [&grid, f](int, std::int64_t i, std::int64_t j, std::int64_t k) {
      return f(grid.center(0, i), grid.center(1, j), grid.center(2, k));
    };
  };

  // Still-water depth -> bed b = eta_rest - depth; water = mask, depth > 0 and >= min_depth.
  Field<double> depth(dec_, "depth", 1, 0);
  if (!o.depth_field.empty()) {
    mesh_.read_field(o.depth_field, depth);
  } else if (o.depth_function) {
    set_by_global_index<double>(depth, cell_fn(o.depth_function));
  } else {
    fill(depth, o.depth);
  }
  Field<double> mask(dec_, "mask", 1, 0);
  if (!o.mask_field.empty()) {
    mesh_.read_field(o.mask_field, mask);
  } else {
    fill(mask, 1.0);
  }
  const std::int64_t bad_depth = count_nonfinite(depth);
  if (bad_depth > 0) {
    throw Error("ShallowWaterSolver: the depth has " + std::to_string(bad_depth) + " non-finite values");
  }
  bed_and_water(depth, mask, p.value(m.b), p.value(m.water), o.min_depth, o.eta_rest);
  // The mask never changes: fill its ghosts once (halo, then mirror at the walls).
  p.halo(HaloPattern::Box, kGhost).exchange(p.value(m.water));
  const BoundaryConditions bc_scalar = scalar_conditions(grid);
  if (has_walls(grid)) apply_boundary(p.value(m.water), bc_scalar, 1, 1, false);
  water_cells_ = static_cast<std::int64_t>(sum(p.value(m.water)));
  if (water_cells_ == 0) {
    throw Error("ShallowWaterSolver: no water cell (every cell is land, masked, or shallower than min_depth = " +
                fmt(o.min_depth) + " m)");
  }
  // Smoothing speed from the deepest water: delta = speed_smoothing * sqrt(g * max depth).
  delta_ = o.speed_smoothing * std::sqrt(o.gravity * max_abs(depth));

  // Gauge weights: a Gaussian on water cells, divided by its sum over the whole
  // grid (a product of two 1D sums, the same on every rank), so that they sum to
  // the water fraction of the footprint. (A global sum of the masked weights would
  // round differently on every rank count and break bitwise reproducibility.)
  {
    Gauge gauge = o.gauge;
    if (!(gauge.radius > 0)) {
      gauge.x = 0.5 * (grid.lower[0] + grid.upper[0]);
      gauge.y = 0.5 * (grid.lower[1] + grid.upper[1]);
      gauge.radius = 2.0 * std::max(grid.spacing(0), grid.spacing(1));
      params_.gauge = gauge;
    }
    const double r2 = 2.0 * gauge.radius * gauge.radius;
    double sx = 0.0, sy = 0.0;
    for (std::int64_t i = 0; i < grid.cells[0]; ++i) sx += std::exp(-std::pow(grid.center(0, i) - gauge.x, 2) / r2);
    for (std::int64_t j = 0; j < grid.cells[1]; ++j) sy += std::exp(-std::pow(grid.center(1, j) - gauge.y, 2) / r2);
    if (!(sx * sy > 0.0)) {
      throw Error("ShallowWaterSolver: the gauge at (" + fmt(gauge.x) + ", " + fmt(gauge.y) + ") with radius " +
                  fmt(gauge.radius) + " m lies outside the grid");
    }
    const double norm = 1.0 / (sx * sy);
    const Field<double>& g = p.value(m.G);
    set_by_global_index<double>(g, [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
      return norm * std::exp(-std::pow(grid.center(0, i) - gauge.x, 2) / r2) *
             std::exp(-std::pow(grid.center(1, j) - gauge.y, 2) / r2);
    });
    restrict_to_water(g, p.value(m.water));
    gauge_coverage_ = sum(g);
    if (!(gauge_coverage_ > 1e-3)) {
      throw Error("ShallowWaterSolver: the gauge at (" + fmt(gauge.x) + ", " + fmt(gauge.y) + ") with radius " +
                  fmt(gauge.radius) + " m covers almost no water (water fraction of its footprint " +
                  fmt(gauge_coverage_, 3) + "; move it offshore or widen it)");
    }
  }

  // Initial state, stability and the time step (fixed from here on).
  m.diag.g = o.gravity;
  m.diag.eta_rest = o.eta_rest;
  m.diag.inv_dx = 1.0 / grid.spacing(0);
  m.diag.inv_dy = 1.0 / grid.spacing(1);
  m.diag.smoothing = delta_;
  if (o.initial_elevation) {
    set_by_global_index<double>(eta0, cell_fn(o.initial_elevation));
  } else {
    fill(eta0, o.eta_rest);
  }
  dt_ = o.dt;  // 0: chosen by check_initial_state
  check_initial_state();

  // One time step as a program.
  Update update;
  update.g = o.gravity;
  update.dt_over_dx = dt_ / grid.spacing(0);
  update.dt_over_dy = dt_ / grid.spacing(1);
  update.smoothing = delta_;
  GaugeTerm gauge_term;
  gauge_term.eta_rest = o.eta_rest;
  const bool walls = has_walls(grid);
  p.exchange(m.b);
  if (walls) p.boundary(m.b, bc_scalar);
  p.exchange(m.U);
  if (walls) p.boundary(m.U, bc_state);
  p.apply(update, {m.U, m.b, m.water}, {m.U1});
  if (o.scheme == TimeScheme::ForwardEuler) {
    p.copy(m.U, m.U1);
  } else {  // Heun: U = (U + E(E(U))) / 2
    p.exchange(m.U1);
    if (walls) p.boundary(m.U1, bc_state);
    p.apply(update, {m.U1, m.b, m.water}, {m.U2});
    p.scale(m.U, 0.5);
    p.axpy(m.U, 0.5, m.U2);
  }
  if (o.check_finite) p.check_finite(m.U);
  p.apply(gauge_term, {m.U, m.b, m.G}, {m.q});
  p.objective_sum(m.q, dt_);
  reset();
}

void ShallowWaterSolver::check_initial_state() {
  Impl& m = *impl_;
  const std::int64_t bad = count_nonfinite(m.program.value(m.eta0));
  if (bad > 0) {
    throw Error("ShallowWaterSolver: the initial surface elevation has " + std::to_string(bad) + " non-finite values");
  }
  m.program.run_forward(Section::Initial);
  m.diagnostics();
  const auto dry = static_cast<std::int64_t>(sum(m.dry));
  if (dry > 0) {
    throw Error("ShallowWaterSolver: the initial water depth eta0 - b is <= 0 in " + std::to_string(dry) +
                " water cell(s); the solver has no wetting and drying: lower the initial surface there, or raise "
                "min_depth (now " +
                fmt(params_.min_depth) + " m) so that those cells become land");
  }
  // Global maxima: bitwise the same on every rank and for every decomposition.
  const double rate = max_abs(m.rate);
  max_speed_ = max_abs(m.speed);
  dt_max_ = 1.0 / rate;
  if (dt_ <= 0) dt_ = params_.safety * dt_max_;
  if (params_.enforce_cfl && dt_ > dt_max_) {
    const GridSpec& grid = dec_->grid();
    throw Error("ShallowWaterSolver: the time step dt = " + fmt(dt_) +
                " s violates the CFL condition of the initial state; the largest stable time step is " +
                fmt_down(dt_max_) + " s (max wave speed |u| + sqrt(g h) = " + fmt(max_speed_, 4) + " m/s, dx = " +
                fmt(grid.spacing(0), 4) + " m, dy = " + fmt(grid.spacing(1), 4) + " m; dt = 0 takes safety * that)");
  }
}

// ---- accessors ----

Program& ShallowWaterSolver::program() {
  return impl_->program;
}
const Program& ShallowWaterSolver::program() const {
  return impl_->program;
}
Var ShallowWaterSolver::state() const {
  return impl_->U;
}
Var ShallowWaterSolver::bed() const {
  return impl_->b;
}
Var ShallowWaterSolver::initial_elevation() const {
  return impl_->eta0;
}
Var ShallowWaterSolver::water() const {
  return impl_->water;
}
Var ShallowWaterSolver::gauge() const {
  return impl_->G;
}
const Field<double>& ShallowWaterSolver::state_field() const {
  return impl_->program.value(impl_->U);
}
const Field<double>& ShallowWaterSolver::bed_field() const {
  return impl_->program.value(impl_->b);
}
const Field<double>& ShallowWaterSolver::water_field() const {
  return impl_->program.value(impl_->water);
}
const Field<double>& ShallowWaterSolver::gauge_field() const {
  return impl_->program.value(impl_->G);
}
const Field<double>& ShallowWaterSolver::initial_elevation_field() const {
  return impl_->program.value(impl_->eta0);
}
const Field<double>& ShallowWaterSolver::gradient_initial_elevation() const {
  return impl_->program.adjoint(impl_->eta0);
}
const Field<double>& ShallowWaterSolver::gradient_bed() const {
  return impl_->program.adjoint(impl_->b);
}

// ---- initial state and forward ----

void ShallowWaterSolver::set_initial_elevation(const CellFunction& eta0) {
  if (!eta0) throw Error("ShallowWaterSolver: set_initial_elevation needs a function");
  const GridSpec& grid = dec_->grid();
  set_by_global_index<double>(initial_elevation_field(), [&](int, std::int64_t i, std::int64_t j, std::int64_t k) {
    return eta0(grid.center(0, i), grid.center(1, j), grid.center(2, k));
  });
  check_initial_state();
  reset();
}

void ShallowWaterSolver::set_initial_elevation(const Field<double>& eta0) {
  copy(initial_elevation_field(), eta0);
  check_initial_state();
  reset();
}

void ShallowWaterSolver::reset() {
  Impl& m = *impl_;
  m.program.run_forward(Section::Initial);
  m.program.set_objective(0.0);
  m.program.set_step_index(0);
  steps_ = 0;
}

void ShallowWaterSolver::step() {
  Program& p = impl_->program;
  p.set_step_index(steps_);
  try {
    p.run_forward(Section::Step);
  } catch (const Error& e) {
    // Every rank is here: the finite check is a global reduction.
    throw Error("ShallowWaterSolver: the run failed in time step " + std::to_string(steps_) + " -> " +
                std::to_string(steps_ + 1) + " (t = " + fmt(time()) + " s to " + fmt(time() + dt_) + " s, dt = " +
                fmt(dt_) + " s; largest stable dt of the initial state " + fmt(dt_max_) + " s): " + e.what());
  }
  ++steps_;
}

void ShallowWaterSolver::run(int n, const std::function<void(std::int64_t)>& after_step) {
  for (int i = 0; i < n; ++i) {
    step();
    if (after_step) after_step(steps_);
  }
}

double ShallowWaterSolver::objective() const {
  return impl_->program.objective();
}

// ---- diagnostics ----

void ShallowWaterSolver::diagnostics() const {
  impl_->diagnostics();
}

void ShallowWaterSolver::surface_elevation(const Field<double>& eta) const {
  diagnostics();
  copy(eta, impl_->eta);
}

double ShallowWaterSolver::volume() const {
  diagnostics();
  return sum(impl_->depth_h) * grid().spacing(0) * grid().spacing(1);
}

double ShallowWaterSolver::gauge_elevation() const {
  diagnostics();
  return dot(impl_->program.value(impl_->G), impl_->eta) / gauge_coverage_;
}

double ShallowWaterSolver::max_elevation() const {
  diagnostics();
  return max_abs(impl_->anomaly);
}

// ---- derivatives ----

Problem ShallowWaterSolver::function(int n, const Checkpointing& checkpointing) {
  Impl& m = *impl_;
  ProblemOptions options(n);
  options.checkpointing = checkpointing;
  return Problem(m.program, {m.eta0, m.b}, {m.U}, options);
}

double ShallowWaterSolver::tangent(int n, const Field<double>& d_eta0, const Field<double>& d_bed,
                                   const Field<double>& final_state_tangent) {
  Problem f = function(n);
  const Field<double> state_tangent =
      final_state_tangent.valid() ? final_state_tangent : state_field().clone_layout("final_state_tangent");
  return f.tangent({d_eta0, d_bed}, {state_tangent});
}

GradientResult ShallowWaterSolver::gradient(int n, const Checkpointing& checkpointing) {
  return function(n, checkpointing).gradient();
}

std::string ShallowWaterSolver::describe() const {
  const GridSpec& g = grid();
  std::ostringstream os;
  os << "shallow-water solver: " << g.cells[0] << " x " << g.cells[1] << " cells of " << fmt(g.spacing(0), 4) << " x "
     << fmt(g.spacing(1), 4) << " m, " << water_cells_ << " water, on " << dec_->size() << " rank(s) ("
     << dec_->ranks_per_dim()[0] << " x " << dec_->ranks_per_dim()[1] << ")\n  " << to_string(params_.scheme)
     << ", dt = " << fmt(dt_, 5) << " s (largest stable " << fmt(dt_max_, 5) << " s, ratio " << fmt(dt_ / dt_max_, 3)
     << "), max wave speed " << fmt(max_speed_, 4) << " m/s\n  boundary: " << mesh_.boundary().describe(g.dim)
     << "; adjoint assembly: " << to_string(params_.adjoint_form);
  return os.str();
}

}  // namespace solvers
}  // namespace undertow
