// BurgersSolver: the viscous Burgers equation for a scalar u in 2D (also 1D and
// 3D), conservative finite volumes with the Rusanov (local Lax-Friedrichs) flux
// and a spatially varying viscosity, written only against Undertow's public API.
//
//   du/dt + sum_d d/dx_d (u^2 / 2) = div(nu grad u)
//
// Forward Euler in time; per face between cells L and R (R = L + e_d):
//   F = (u_L^2 + u_R^2) / 4 - max(|u_L|, |u_R|) (u_R - u_L) / 2     (Rusanov)
//   G = nu_f (u_R - u_L) / h_d,  nu_f = (nu_L + nu_R) / 2            (viscous)
//   u^{n+1} = u^n - dt sum_d (F_{+} - F_{-}) / h_d + dt sum_d (G_{+} - G_{-}) / h_d.
// Each face flux is computed with the same operations by both cells, so the sum
// of u is conserved to round-off with periodic boundaries.
//
// Stability (monotone scheme, hence a maximum principle |u| <= max|u_0|):
//   dt <= dt_max = 1 / sum_d (U / h_d + 2 nu_max / h_d^2),  U = max |u_0|
// (or the user's bound `max_speed` if larger). A larger dt is refused at
// construction, with an Error that states dt_max; `check_stability()` re-checks
// for the current state.
//
// Boundaries (mesh): periodic (halo exchange); dirichlet(value): u = value on the
// face (ghost = 2 value - interior); wall: u = 0 on the face (no slip: dirichlet(0),
// the odd reflection; a zero-flux wall would let u pile up against it without
// bound, since Burgers transports u itself); neumann and outflow: zero gradient
// (the flux f(u) leaves or enters freely).
// Objective: J = 1/2 sum_cells (u_N - observation)^2; gradients dJ/du_0 and
// dJ/dnu (sensitivity to the viscosity in every cell). See docs/solvers.md.
#pragma once

#include <mpi.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "undertow/time/problem.hpp"
#include "undertow/undertow.hpp"

namespace undertow {
namespace solvers {

/// A function of the cell centre (x, y, z) (the same alias as in the other solvers).
using CellFunction = std::function<double(double x, double y, double z)>;

struct BurgersParameters {
  /// Time step. 0 (default): safety * dt_max.
  double dt = 0.0;
  /// Fraction of the largest stable time step used when dt is 0; in (0, 1].
  double safety = 0.9;
  /// Constant viscosity (>= 0), unless `viscosity_function` or `viscosity_field` is given.
  double viscosity = 0.01;
  CellFunction viscosity_function;
  /// Name of a mesh cell field holding the viscosity (Mesh constructors only).
  std::string viscosity_field;
  /// Initial state u_0 and observations; zero if empty.
  CellFunction initial, observation;
  /// Upper bound of |u| used for the time-step limit if larger than max |u_0|.
  double max_speed = 0.0;
  bool check_finite = true;
  AdjointForm adjoint_form = AdjointForm::Gather;
  std::array<int, 3> ranks_per_dim{0, 0, 0};
};

namespace burgers_detail {

/// One explicit step: inputs (u, nu), output u_next.
template <int Dim>
struct BurgersKernel : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(Dim, 1);
  double dt_h[3] = {0, 0, 0};   // dt / h_d
  double dt_h2[3] = {0, 0, 0};  // dt / h_d^2

  template <class S>
  KOKKOS_FORCEINLINE_FUNCTION static S rusanov(const S& l, const S& r) {
    const S speed = undertow::max(undertow::abs(l), undertow::abs(r));
    return 0.25 * (l * l + r * r) - 0.5 * speed * (r - l);
  }

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    const S n0 = in(1, 0, 0, 0);
    S change = 0.0;
    UNDERTOW_UNROLL
    for (int d = 0; d < Dim; ++d) {
      UNDERTOW_UNROLL
      for (int s = -1; s <= 1; s += 2) {
        const int di = d == 0 ? s : 0, dj = d == 1 ? s : 0, dk = d == 2 ? s : 0;
        const S un = in(0, di, dj, dk);
        const S nf = 0.5 * (n0 + in(1, di, dj, dk));
        // Face flux in the +d direction, from (left, right) states; out of the cell through the + face.
        const S flux = s > 0 ? rusanov(u0, un) : rusanov(un, u0);
        change += (s > 0 ? -dt_h[d] : dt_h[d]) * flux + dt_h2[d] * nf * (un - u0);
      }
    }
    out(0) = u0 + change;
  }
};

inline std::string format(double x) {
  std::ostringstream os;
  os.precision(6);
  os << x;
  return os.str();
}

inline std::string format_down(double x) {
  if (!(x > 0) || !std::isfinite(x)) return format(x);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.5e", x);
  double v = std::strtod(buf, nullptr);
  if (v > x) {
    v -= std::pow(10.0, static_cast<int>(std::floor(std::log10(x))) - 5);
    std::snprintf(buf, sizeof(buf), "%.5e", v);
  }
  std::snprintf(buf, sizeof(buf), "%.6g", std::strtod(buf, nullptr));
  return buf;
}

}  // namespace burgers_detail

class BurgersSolver {
 public:
  /// Collective. Throws Error on every rank for bad parameters, e.g. an unstable
  /// time step (stating the largest stable one) or a negative viscosity.
  BurgersSolver(const mesh::Mesh& mesh, std::shared_ptr<const Decomposition> decomposition,
                BurgersParameters params = {})
      : mesh_(mesh), params_(std::move(params)), dec_(std::move(decomposition)) {
    build();
  }
  BurgersSolver(const mesh::Mesh& mesh, MPI_Comm comm, BurgersParameters params = {})
      : BurgersSolver(mesh, mesh.decompose(comm, params.ranks_per_dim), params) {}
  /// Periodic where the grid is periodic, walls (u = 0) elsewhere.
  BurgersSolver(const GridSpec& grid, MPI_Comm comm, BurgersParameters params = {})
      : BurgersSolver(default_mesh(grid), comm, std::move(params)) {}
  BurgersSolver(const GridSpec& grid, std::shared_ptr<const Decomposition> decomposition, BurgersParameters params = {})
      : BurgersSolver(default_mesh(grid), std::move(decomposition), std::move(params)) {}

  BurgersSolver(const BurgersSolver&) = delete;
  BurgersSolver& operator=(const BurgersSolver&) = delete;

  static mesh::Mesh default_mesh(const GridSpec& grid) {
    return mesh::Mesh(grid, mesh::BoundarySpec::periodic_or(grid, mesh::FaceBoundary::wall()), "burgers");
  }

  /// dt_max = 1 / sum_d (max_speed / h_d + 2 nu_max / h_d^2) (infinity if both vanish).
  static double largest_stable_dt(const GridSpec& grid, double max_speed, double nu_max) {
    double rate = 0.0;
    for (int d = 0; d < grid.dim; ++d) {
      const double h = grid.spacing(d);
      rate += max_speed / h + 2.0 * nu_max / (h * h);
    }
    return rate > 0.0 ? 1.0 / rate : std::numeric_limits<double>::infinity();
  }

  Program& program() { return *program_; }
  const Program& program() const { return *program_; }
  const Decomposition& decomposition() const { return *dec_; }
  std::shared_ptr<const Decomposition> decomposition_ptr() const { return dec_; }
  const mesh::Mesh& mesh() const { return mesh_; }
  const GridSpec& grid() const { return dec_->grid(); }
  const BurgersParameters& parameters() const { return params_; }
  Var velocity() const { return u_; }
  Var viscosity() const { return nu_; }
  Var observation() const { return obs_; }
  const Field<double>& velocity_field() const { return program_->value(u_); }
  const Field<double>& viscosity_field() const { return program_->value(nu_); }
  const Field<double>& observation_field() const { return program_->value(obs_); }
  /// After gradient() or function(n).adjoint(): dJ/du_0 and dJ/dnu.
  const Field<double>& gradient_initial_velocity() const { return program_->adjoint(u_); }
  const Field<double>& gradient_viscosity() const { return program_->adjoint(nu_); }

  double dt() const { return dt_; }
  /// Largest stable time step for the current state and viscosity (collective).
  double max_stable_dt() const {
    return largest_stable_dt(grid(), std::max(params_.max_speed, max_abs(velocity_field())),
                             max_abs(viscosity_field()));
  }
  std::int64_t steps_taken() const { return steps_; }
  double time() const { return static_cast<double>(steps_) * dt_; }
  void set_time(std::int64_t steps) { steps_ = steps; }

  /// Setting the state or the viscosity re-checks the time step (collective).
  void set_velocity(const CellFunction& f) {
    set_cells(velocity_field(), f);
    check_stability();
  }
  void set_velocity(const Field<double>& f) {
    copy(velocity_field(), f);
    check_stability();
  }
  void set_viscosity(const CellFunction& f) {
    set_cells(viscosity_field(), f);
    check_stability();
  }
  void set_viscosity(const Field<double>& f) {
    copy(viscosity_field(), f);
    check_stability();
  }
  void set_observation(const CellFunction& f) { set_cells(observation_field(), f); }
  void set_observation(const Field<double>& f) { copy(observation_field(), f); }

  /// Throws Error (on every rank) if the viscosity is negative or not finite, or
  /// if dt exceeds the largest stable time step of the current state.
  void check_stability() {
    const Field<double>& nu = viscosity_field();
    const std::int64_t bad = count_nonfinite(nu) + count_nonfinite(velocity_field());
    const double nu_min = min_value(nu);
    if (bad > 0 || !(nu_min >= 0.0)) {
      throw Error("BurgersSolver: the viscosity must be finite and >= 0 and the state finite; " +
                  (bad > 0 ? std::to_string(bad) + " values are NaN or infinite"
                           : "the smallest viscosity is " + burgers_detail::format(nu_min)));
    }
    speed_ = std::max(params_.max_speed, max_abs(velocity_field()));
    nu_max_ = max_abs(nu);
    dt_max_ = largest_stable_dt(grid(), speed_, nu_max_);
    if (dt_ == 0.0) {
      if (params_.dt > 0.0) {
        dt_ = params_.dt;
      } else if (std::isfinite(dt_max_)) {
        dt_ = params_.safety * dt_max_;
      } else {
        throw Error(
            "BurgersSolver: the initial state and the viscosity are zero, so there is no stability "
            "limit to derive a time step from: give dt (or max_speed)");
      }
    }
    if (dt_ > dt_max_ * (1.0 + 1e-12)) {
      std::ostringstream h;
      for (int d = 0; d < grid().dim; ++d) h << (d ? ", " : "") << burgers_detail::format(grid().spacing(d));
      throw Error("BurgersSolver: the time step dt = " + burgers_detail::format(dt_) +
                  " is unstable; the largest stable time step is dt_max = " + burgers_detail::format_down(dt_max_) +
                  " (dt <= 1 / sum_d (U / h_d + 2 nu_max / h_d^2) with U = max|u| = " + burgers_detail::format(speed_) +
                  ", nu_max = " + burgers_detail::format(nu_max_) + ", h = (" + h.str() + "))");
    }
  }

  /// One time step (collective); throws on every rank if u became NaN/Inf.
  void step() {
    program_->set_step_index(steps_);
    program_->run_forward(Section::Step);
    ++steps_;
  }
  void run(int n) {
    for (int i = 0; i < n; ++i) step();
  }
  double objective() {
    program_->set_objective(0.0);
    program_->run_forward(Section::Final);
    return program_->objective();
  }

  /// (u_0, nu) -> (u_n, J) over n steps as a Differentiable (a Problem: every state kept unless `checkpointing` asks
  /// for revolve; its calls leave the velocity field at the value they started from).
  Problem function(int n, const Checkpointing& checkpointing = {}) {
    program_->set_step_index(steps_);
    ProblemOptions options;
    options.steps = n;
    options.checkpointing = checkpointing;
    return Problem(*program_, {u_, nu_}, {u_}, options);
  }

  double tangent(int n, const Field<double>& d_velocity, const Field<double>& d_viscosity) {
    Problem f = function(n);  // leaves the field where it found it
    Field<double> out = velocity_field().clone_layout("burgers_final_tangent");
    const double dj = f.tangent({d_velocity, d_viscosity}, {out});
    return dj;
  }

  /// n steps forward and the checkpointed reverse sweep; afterwards
  /// gradient_initial_velocity() = dJ/du_0 and gradient_viscosity() = dJ/dnu; the
  /// state is restored to u_0.
  GradientResult gradient(int n, const Checkpointing& checkpointing = {}) {
    return function(n, checkpointing).gradient();
  }

  std::string describe() const {
    std::ostringstream os;
    os << "Burgers solver: " << grid().dim << "D, " << grid().describe() << "\n  dt = " << dt_ << " (largest stable "
       << dt_max_ << " for max|u| = " << speed_ << ", max nu = " << nu_max_
       << ")\n  boundary: " << mesh_.boundary().describe(grid().dim)
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

  void build() {
    if (!dec_) throw Error("BurgersSolver: null decomposition");
    const GridSpec& g = dec_->grid();
    collective_check(dec_->comm(), [&] {
      const GridSpec& m = mesh_.grid();
      bool same = m.dim == g.dim;
      for (int d = 0; d < 3; ++d) same = same && m.cells[d] == g.cells[d] && m.periodic[d] == g.periodic[d];
      if (!same) throw Error("BurgersSolver: the decomposition's grid is not the mesh's grid");
      if (!(params_.safety > 0.0 && params_.safety <= 1.0)) {
        throw Error("BurgersSolver: safety must lie in (0, 1], got " + burgers_detail::format(params_.safety));
      }
      if (!(params_.dt >= 0.0) || !std::isfinite(params_.dt)) {
        throw Error("BurgersSolver: the time step must be a finite positive number (0: automatic), got " +
                    burgers_detail::format(params_.dt));
      }
      if (!(params_.max_speed >= 0.0) || !std::isfinite(params_.max_speed)) {
        throw Error("BurgersSolver: max_speed must be finite and >= 0");
      }
      if (!params_.viscosity_field.empty() && !mesh_.has_field(params_.viscosity_field)) {
        mesh_.field_info(params_.viscosity_field);  // throws, listing the mesh's fields
      }
    });

    program_ = std::make_unique<Program>(dec_, ProgramOptions{params_.adjoint_form});
    Program& p = *program_;
    const int ghost = 2;
    u_ = p.add_state("velocity", 1, ghost);
    nu_ = p.add_parameter("viscosity", 1, ghost);
    next_ = p.add_temporary("velocity_next", 1, ghost);
    obs_ = p.add_data("observation", 1, 0);

    if (!params_.viscosity_field.empty()) {
      mesh_.read_field(params_.viscosity_field, viscosity_field());
    } else if (params_.viscosity_function) {
      set_cells(viscosity_field(), params_.viscosity_function);
    } else {
      fill(viscosity_field(), params_.viscosity);
    }
    if (params_.initial) set_cells(velocity_field(), params_.initial);
    if (params_.observation) set_cells(observation_field(), params_.observation);
    check_stability();

    BoundaryConditions bc_u, bc_nu;
    bool walls = false;
    std::array<double, 3> dt_h{0, 0, 0}, dt_h2{0, 0, 0};
    for (int d = 0; d < g.dim; ++d) {
      const double h = g.spacing(d);
      dt_h[static_cast<std::size_t>(d)] = dt_ / h;
      dt_h2[static_cast<std::size_t>(d)] = dt_ / (h * h);
      if (g.periodic[d]) continue;
      walls = true;
      for (int side = 0; side < 2; ++side) {
        const mesh::FaceBoundary& f = mesh_.boundary().at(d, side);
        FaceCondition c = FaceCondition::neumann();
        if (f.kind == mesh::BoundaryKind::Dirichlet) c = FaceCondition::dirichlet(f.value);
        if (f.kind == mesh::BoundaryKind::Wall) c = FaceCondition::dirichlet(0.0);
        bc_u.set(d, side, c);
        bc_nu.set(d, side, FaceCondition::neumann());
      }
    }
    p.exchange(u_);
    if (walls) p.boundary(u_, bc_u);
    p.exchange(nu_);
    if (walls) p.boundary(nu_, bc_nu);
    switch (g.dim) {
      case 1:
        add_kernel<1>(dt_h, dt_h2);
        break;
      case 2:
        add_kernel<2>(dt_h, dt_h2);
        break;
      default:
        add_kernel<3>(dt_h, dt_h2);
        break;
    }
    p.copy(u_, next_);
    if (params_.check_finite) p.check_finite(u_);

    p.set_section(Section::Final);
    p.objective_misfit(u_, obs_, 1.0);
    p.set_section(Section::Step);
  }

  template <int Dim>
  void add_kernel(const std::array<double, 3>& dt_h, const std::array<double, 3>& dt_h2) {
    burgers_detail::BurgersKernel<Dim> k;
    for (int d = 0; d < 3; ++d) {
      k.dt_h[d] = dt_h[static_cast<std::size_t>(d)];
      k.dt_h2[d] = dt_h2[static_cast<std::size_t>(d)];
    }
    program_->apply(k, {u_, nu_}, {next_});
  }

  mesh::Mesh mesh_;
  BurgersParameters params_;
  std::shared_ptr<const Decomposition> dec_;
  std::unique_ptr<Program> program_;
  Var u_, nu_, next_, obs_;
  double dt_ = 0.0, dt_max_ = 0.0, speed_ = 0.0, nu_max_ = 0.0;
  std::int64_t steps_ = 0;
};

}  // namespace solvers
}  // namespace undertow
