// HeatSolver: explicit heat conduction (diffusion) with a spatially varying
// conductivity, in 1D, 2D or 3D, written only against Undertow's public API.
//
//   du/dt = div(kappa grad u)
//
// Finite volumes on the cell-centred grid, forward Euler in time. The flux through
// the face between cells P and N is kappa_f (u_N - u_P) / h_d with the harmonic
// mean kappa_f = 2 kappa_P kappa_N / (kappa_P + kappa_N) (the exact face value for
// layered media; it keeps the flux continuous across jumps of kappa):
//
//   u_P^{n+1} = u_P^n + dt sum_d sum_{N = P +- e_d} kappa_f (u_N - u_P) / h_d^2.
//
// Stability (maximum principle and the von Neumann bound, which coincide here):
//   dt <= dt_max = 1 / (2 max(kappa) sum_d 1 / h_d^2).
// A larger dt is refused at construction with an Error that states dt_max.
//
// One time step is a Program (halo exchanges, boundary fill, one kernel, a copy,
// optionally a NaN/Inf check); the objective is the terminal misfit
//   J = 1/2 sum_cells (u_N - observation)^2
// (a Final-section term). The solver runs the step forward, in tangent mode
// (`tangent`, or `function(n)` as a Differentiable) and in reverse through
// `gradient(n)` or `function(n)` (a Problem: every state kept, or revolve), giving
// dJ/du_0 (sensitivity to the initial temperature) and dJ/dkappa (sensitivity to
// the conductivity of every cell).
//
// Boundary conditions come from a mesh::BoundarySpec: periodic (halo exchange),
// wall and neumann (insulated: zero flux), dirichlet(value) (fixed face
// temperature), outflow (treated as insulated). The conductivity is mirrored at
// non-periodic faces. See docs/solvers.md.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "undertow/time/problem.hpp"
#include "undertow/undertow.hpp"

namespace undertow {
namespace solvers {

/// A function of the cell centre (x, y, z); unused coordinates are the centre of
/// the trivial dimension.
using CellFunction = std::function<double(double x, double y, double z)>;

struct HeatParameters {
  /// Time step. 0 (default): `safety * dt_max`.
  double dt = 0.0;
  /// Fraction of the largest stable time step used when dt is 0; in (0, 1].
  double safety = 0.9;
  /// Constant conductivity, used unless `conductivity_function` or
  /// `conductivity_field` is given. Must be > 0.
  double conductivity = 1.0;
  /// kappa(x, y, z) at cell centres (> 0 everywhere).
  CellFunction conductivity_function;
  /// Name of a cell field of the mesh holding the conductivity (Mesh constructors only).
  std::string conductivity_field;
  /// Initial temperature u_0(x, y, z); zero if empty.
  CellFunction initial;
  /// Observations for the misfit objective; zero if empty.
  CellFunction observation;
  /// Check the temperature for NaN/Inf after every step (one global reduction per step).
  bool check_finite = true;
  /// How kernel adjoints are assembled (Gather: bitwise reproducible for any rank/thread count).
  AdjointForm adjoint_form = AdjointForm::Gather;
  /// Process grid (zeros: chosen automatically). Ignored by the Decomposition constructor.
  std::array<int, 3> ranks_per_dim{0, 0, 0};
};

namespace heat_detail {

/// One explicit step of du/dt = div(kappa grad u): inputs (u, kappa), output u_next.
template <int Dim>
struct HeatKernel : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(Dim, 1);
  double c[3] = {0.0, 0.0, 0.0};  // dt / h_d^2

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    const S k0 = in(1, 0, 0, 0);
    S change = 0.0;
    UNDERTOW_UNROLL
    for (int d = 0; d < Dim; ++d) {
      UNDERTOW_UNROLL
      for (int s = -1; s <= 1; s += 2) {
        const int di = d == 0 ? s : 0, dj = d == 1 ? s : 0, dk = d == 2 ? s : 0;
        const S kn = in(1, di, dj, dk);
        // Harmonic mean of the two cells' conductivities (Dual values round as
        // double values do: tangent runs reproduce the primal values bitwise).
        const S kf = 2.0 * k0 * kn / (k0 + kn);
        change += c[d] * kf * (in(0, di, dj, dk) - u0);
      }
    }
    out(0) = u0 + change;
  }
};

/// x rounded down to 6 significant digits, printed (so the printed dt_max is itself stable).
inline std::string format_down(double x) {
  if (!(x > 0) || !std::isfinite(x)) {
    std::ostringstream os;
    os << x;
    return os.str();
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.5e", x);
  double v = std::strtod(buf, nullptr);
  if (v > x) {
    const int e = static_cast<int>(std::floor(std::log10(x)));
    v -= std::pow(10.0, e - 5);
    std::snprintf(buf, sizeof(buf), "%.5e", v);
  }
  std::snprintf(buf, sizeof(buf), "%.6g", std::strtod(buf, nullptr));
  return buf;
}

inline std::string format(double x) {
  std::ostringstream os;
  os.precision(6);
  os << x;
  return os.str();
}

}  // namespace heat_detail

class HeatSolver {
 public:
  /// Collective over `decomposition`'s communicator. Throws Error (on every rank)
  /// for a bad parameter: a non-positive conductivity, an unstable time step
  /// (the message states the largest stable one), an unknown mesh field.
  HeatSolver(const mesh::Mesh& mesh, std::shared_ptr<const Decomposition> decomposition, HeatParameters params = {})
      : mesh_(mesh), params_(std::move(params)), dec_(std::move(decomposition)) {
    build();
  }
  HeatSolver(const mesh::Mesh& mesh, MPI_Comm comm, HeatParameters params = {})
      : HeatSolver(mesh, mesh.decompose(comm, params.ranks_per_dim), params) {}
  /// Periodic where the grid is periodic, insulated (zero-flux) walls elsewhere.
  HeatSolver(const GridSpec& grid, MPI_Comm comm, HeatParameters params = {})
      : HeatSolver(default_mesh(grid), comm, std::move(params)) {}
  HeatSolver(const GridSpec& grid, std::shared_ptr<const Decomposition> decomposition, HeatParameters params = {})
      : HeatSolver(default_mesh(grid), std::move(decomposition), std::move(params)) {}

  HeatSolver(const HeatSolver&) = delete;
  HeatSolver& operator=(const HeatSolver&) = delete;

  static mesh::Mesh default_mesh(const GridSpec& grid) {
    return mesh::Mesh(grid, mesh::BoundarySpec::periodic_or(grid, mesh::FaceBoundary::neumann()), "heat");
  }

  /// dt_max = 1 / (2 kappa_max sum_d 1/h_d^2).
  static double largest_stable_dt(const GridSpec& grid, double kappa_max) {
    double s = 0.0;
    for (int d = 0; d < grid.dim; ++d) s += 1.0 / (grid.spacing(d) * grid.spacing(d));
    return 1.0 / (2.0 * kappa_max * s);
  }

  // ---- the program and its variables ----
  Program& program() { return *program_; }
  const Program& program() const { return *program_; }
  const Decomposition& decomposition() const { return *dec_; }
  std::shared_ptr<const Decomposition> decomposition_ptr() const { return dec_; }
  const mesh::Mesh& mesh() const { return mesh_; }
  const GridSpec& grid() const { return dec_->grid(); }
  const HeatParameters& parameters() const { return params_; }
  Var temperature() const { return u_; }
  Var conductivity() const { return kappa_; }
  Var observation() const { return obs_; }
  const Field<double>& temperature_field() const { return program_->value(u_); }
  const Field<double>& conductivity_field() const { return program_->value(kappa_); }
  const Field<double>& observation_field() const { return program_->value(obs_); }
  /// After gradient() or function(n).adjoint(): dJ/du_0 and dJ/dkappa.
  const Field<double>& gradient_initial_temperature() const { return program_->adjoint(u_); }
  const Field<double>& gradient_conductivity() const { return program_->adjoint(kappa_); }

  double dt() const { return dt_; }
  /// Largest stable time step for the conductivity currently held (collective).
  double max_stable_dt() const { return largest_stable_dt(grid(), max_abs(conductivity_field())); }
  std::int64_t steps_taken() const { return steps_; }
  double time() const { return static_cast<double>(steps_) * dt_; }
  void set_time(std::int64_t steps) { steps_ = steps; }

  // ---- state and parameters ----
  void set_temperature(const CellFunction& f) { set_cells(temperature_field(), f); }
  void set_observation(const CellFunction& f) { set_cells(observation_field(), f); }
  /// Sets kappa and re-checks positivity and the time step (collective; throws on every rank).
  void set_conductivity(const CellFunction& f) {
    set_cells(conductivity_field(), f);
    check_parameters();
  }
  void set_temperature(const Field<double>& f) { copy(temperature_field(), f); }
  void set_observation(const Field<double>& f) { copy(observation_field(), f); }
  void set_conductivity(const Field<double>& f) {
    copy(conductivity_field(), f);
    check_parameters();
  }

  // ---- forward ----
  /// One time step (collective). Throws Error on every rank if the temperature
  /// became NaN/Inf (with the step number), when check_finite is on.
  void step() {
    program_->set_step_index(steps_);
    program_->run_forward(Section::Step);
    ++steps_;
  }
  void run(int n) {
    for (int i = 0; i < n; ++i) step();
  }
  /// J = 1/2 sum (u - observation)^2 for the current temperature (collective).
  double objective() {
    program_->set_objective(0.0);
    program_->run_forward(Section::Final);
    return program_->objective();
  }

  // ---- derivatives ----
  /// The map (u_0, kappa) -> (u_n, J) over n steps from the current fields, as a
  /// Differentiable (store-all adjoint; for tests and short runs). Its calls run
  /// the program and leave the temperature field at the value they started from.
  Problem function(int n, const Checkpointing& checkpointing = {}) {
    program_->set_step_index(steps_);
    ProblemOptions options;
    options.steps = n;
    options.checkpointing = checkpointing;
    return Problem(*program_, {u_, kappa_}, {u_}, options);
  }

  /// dJ in direction (du_0, dkappa) over n steps from the current state; the
  /// final temperature's tangent is left in program().tangent(temperature()).
  /// The temperature is restored afterwards. Directions must have the layouts of
  /// temperature_field() / conductivity_field() (use clone_layout).
  double tangent(int n, const Field<double>& d_temperature, const Field<double>& d_conductivity) {
    Problem f = function(n);  // leaves the field where it found it
    Field<double> out = temperature_field().clone_layout("heat_final_tangent");
    const double dj = f.tangent({d_temperature, d_conductivity}, {out});
    return dj;
  }

  /// Runs n steps forward from the current temperature and the reverse sweep
  /// under a checkpoint schedule (AdjointLoop over a StepProgram). Afterwards
  /// gradient_initial_temperature() = dJ/du_0 and gradient_conductivity() =
  /// dJ/dkappa; the temperature field is restored to the initial state and the
  /// step counter is unchanged. Collective.
  GradientResult gradient(int n, const Checkpointing& checkpointing = {}) {
    return function(n, checkpointing).gradient();
  }

  /// A few lines for logs.
  std::string describe() const {
    std::ostringstream os;
    os << "heat solver: " << grid().dim << "D, " << grid().describe() << "\n  dt = " << dt_ << " (largest stable "
       << dt_max_ << ", ratio " << dt_ / dt_max_ << "), conductivity in [" << kappa_min_ << ", " << kappa_max_
       << "]\n  boundary: " << mesh_.boundary().describe(grid().dim)
       << "\n  adjoint assembly: " << to_string(params_.adjoint_form);
    return os.str();
  }

 private:
  void set_cells(const Field<double>& field, const CellFunction& f) {
    const GridSpec& g = grid();
    set_by_global_index<double>(field, [&](int, std::int64_t i, std::int64_t j, std::int64_t k) {
      return f(g.center(0, i), g.center(1, j), g.center(2, k));
    });
  }

  static FaceCondition face_condition(const mesh::FaceBoundary& f) {
    switch (f.kind) {
      case mesh::BoundaryKind::Periodic:
        return FaceCondition::none();
      case mesh::BoundaryKind::Dirichlet:
        return FaceCondition::dirichlet(f.value);
      case mesh::BoundaryKind::Wall:
      case mesh::BoundaryKind::Neumann:
      case mesh::BoundaryKind::Outflow:
        return FaceCondition::neumann();
    }
    return FaceCondition::neumann();
  }

  void build() {
    if (!dec_) throw Error("HeatSolver: null decomposition");
    const GridSpec& g = dec_->grid();
    const MPI_Comm comm = dec_->comm();
    collective_check(comm, [&] {
      const GridSpec& m = mesh_.grid();
      bool same = m.dim == g.dim;
      for (int d = 0; d < 3; ++d) same = same && m.cells[d] == g.cells[d] && m.periodic[d] == g.periodic[d];
      if (!same) throw Error("HeatSolver: the decomposition's grid is not the mesh's grid");
      if (!(params_.safety > 0.0 && params_.safety <= 1.0)) {
        throw Error("HeatSolver: safety must lie in (0, 1], got " + heat_detail::format(params_.safety));
      }
      if (!(params_.dt >= 0.0) || !std::isfinite(params_.dt)) {
        throw Error("HeatSolver: the time step must be a finite positive number (0: automatic), got " +
                    heat_detail::format(params_.dt));
      }
      if (!params_.conductivity_field.empty() && !mesh_.has_field(params_.conductivity_field)) {
        mesh_.field_info(params_.conductivity_field);  // throws, listing the mesh's fields
      }
    });

    program_ = std::make_unique<Program>(dec_, ProgramOptions{params_.adjoint_form});
    Program& p = *program_;
    const int ghost = 2;  // radius-1 stencil: gather adjoints read 2 layers
    u_ = p.add_state("temperature", 1, ghost);
    kappa_ = p.add_parameter("conductivity", 1, ghost);
    next_ = p.add_temporary("temperature_next", 1, ghost);
    obs_ = p.add_data("observation", 1, 0);

    BoundaryConditions bc_u, bc_k;
    bool walls = false;
    for (int d = 0; d < g.dim; ++d) {
      if (g.periodic[d]) continue;
      walls = true;
      for (int side = 0; side < 2; ++side) {
        bc_u.set(d, side, face_condition(mesh_.boundary().at(d, side)));
        bc_k.set(d, side, FaceCondition::neumann());
      }
    }
    p.exchange(u_);
    if (walls) p.boundary(u_, bc_u);
    p.exchange(kappa_);
    if (walls) p.boundary(kappa_, bc_k);

    // Initial fields.
    if (!params_.conductivity_field.empty()) {
      mesh_.read_field(params_.conductivity_field, conductivity_field());
    } else if (params_.conductivity_function) {
      set_cells(conductivity_field(), params_.conductivity_function);
    } else {
      fill(conductivity_field(), params_.conductivity);
    }
    if (params_.initial) set_cells(temperature_field(), params_.initial);
    if (params_.observation) set_cells(observation_field(), params_.observation);

    check_parameters();

    std::array<double, 3> c{0.0, 0.0, 0.0};
    for (int d = 0; d < g.dim; ++d) c[static_cast<std::size_t>(d)] = dt_ / (g.spacing(d) * g.spacing(d));
    switch (g.dim) {
      case 1:
        add_kernel<1>(c);
        break;
      case 2:
        add_kernel<2>(c);
        break;
      default:
        add_kernel<3>(c);
        break;
    }
    p.copy(u_, next_);
    if (params_.check_finite) p.check_finite(u_);

    p.set_section(Section::Final);
    p.objective_misfit(u_, obs_, 1.0);
    p.set_section(Section::Step);
  }

  template <int Dim>
  void add_kernel(const std::array<double, 3>& c) {
    heat_detail::HeatKernel<Dim> k;
    for (int d = 0; d < 3; ++d) k.c[d] = c[static_cast<std::size_t>(d)];
    program_->apply(k, {u_, kappa_}, {next_});
  }

  /// Positivity of kappa and stability of dt (collective; identical outcome on every rank).
  void check_parameters() {
    const Field<double>& k = conductivity_field();
    const std::int64_t bad = count_nonfinite(k);
    kappa_max_ = max_abs(k);
    kappa_min_ = min_value(k);
    if (bad > 0 || !(kappa_min_ > 0.0)) {
      throw Error("HeatSolver: the conductivity must be finite and > 0 in every cell; " +
                  (bad > 0 ? std::to_string(bad) + " values are NaN or infinite"
                           : "its minimum is " + heat_detail::format(kappa_min_)));
    }
    dt_max_ = largest_stable_dt(grid(), kappa_max_);
    if (dt_ == 0.0) dt_ = params_.dt > 0.0 ? params_.dt : params_.safety * dt_max_;
    if (dt_ > dt_max_ * (1.0 + 1e-12)) {
      std::ostringstream h;
      for (int d = 0; d < grid().dim; ++d) h << (d ? ", " : "") << heat_detail::format(grid().spacing(d));
      throw Error("HeatSolver: the time step dt = " + heat_detail::format(dt_) +
                  " is unstable; the largest stable time step is dt_max = " + heat_detail::format_down(dt_max_) +
                  " (explicit diffusion needs dt <= 1 / (2 max(kappa) sum_d 1/h_d^2) with max(kappa) = " +
                  heat_detail::format(kappa_max_) + ", h = (" + h.str() + "))");
    }
  }

  mesh::Mesh mesh_;
  HeatParameters params_;
  std::shared_ptr<const Decomposition> dec_;
  std::unique_ptr<Program> program_;
  Var u_, kappa_, next_, obs_;
  double dt_ = 0.0, dt_max_ = 0.0, kappa_max_ = 0.0, kappa_min_ = 0.0;
  std::int64_t steps_ = 0;
};

}  // namespace solvers
}  // namespace undertow
