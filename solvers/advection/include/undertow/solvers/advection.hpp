// AdvectionSolver: linear advection of a scalar by a constant velocity with a
// limited second-order upwind (MUSCL / flux-limited Lax-Wendroff) scheme, in 1D,
// 2D or 3D, written only against Undertow's public API.
//
//   du/dt + a . grad u = 0,   a constant.
//
// Dimensional splitting: one sweep per axis with a nonzero velocity component,
// x then y then z. In a sweep with Courant number nu = |a_d| dt / h_d, written in
// the upwind-oriented index (v_m = u_{i - m sign(a_d)}, so v_1 is upwind):
//
//   u_i^new = (1 - nu) v_0 + nu v_1 - nu (1 - nu) / 2 (sigma_0 - sigma_1),
//   sigma_m = phi(v_m - v_{m+1}, v_{m-1} - v_m),
//
// with the slope limiter phi = minmod or van Leer (or 0: first-order upwind).
// Limiters are not differentiable where the data is flat (a = b = 0) or where
// minmod's two slopes tie; derivatives there are those of the branch taken (the
// convention of operator-overloading AD), consistent between tangent and adjoint.
// This is the flux form u_i - nu (F_{i+1/2} - F_{i-1/2}) with the face value
// F_{i+1/2} = u_i + (1 - nu)/2 sigma_i reconstructed upwind; the (1 - nu) factor
// makes the scheme TVD for nu <= 1 and, at nu = 1, the exact translation by one
// cell per step (bitwise: the update reduces to u_i^new = v_1).
//
// Stability: nu_d <= 1 on every axis, i.e. dt <= dt_max = min_d h_d / |a_d|. A
// larger dt is refused at construction with an Error that states dt_max.
//
// Objective: J = 1/2 sum_cells (u_N - observation)^2 (Final section). Gradient:
// dJ/du_0, the sensitivity of the final misfit to the initial tracer field (the
// adjoint transports the misfit backwards along the flow, through the same
// limiter branches the forward run took). Boundary conditions from a mesh:
// periodic (halo exchange), dirichlet(value) (inflow value), anything else
// zero-gradient (outflow). See docs/solvers.md.
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

/// Slope limiter of the MUSCL reconstruction.
enum class Limiter {
  Upwind,  ///< no reconstruction: first-order upwind (linear)
  Minmod,  ///< phi(a, b) = 0 if ab <= 0, else the one of a, b with the smaller magnitude
  VanLeer  ///< phi(a, b) = 0 if ab <= 0, else 2ab / (a + b)
};

inline const char* to_string(Limiter l) {
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
/// "upwind", "minmod", "vanleer" (also "van-leer", "van_leer"); throws Error otherwise.
inline Limiter limiter_from_string(const std::string& s) {
  if (s == "upwind" || s == "none") return Limiter::Upwind;
  if (s == "minmod") return Limiter::Minmod;
  if (s == "vanleer" || s == "van-leer" || s == "van_leer") return Limiter::VanLeer;
  throw Error("unknown limiter '" + s + "': expected upwind, minmod or vanleer");
}

struct AdvectionParameters {
  /// Constant velocity (components of unused dimensions are ignored).
  std::array<double, 3> velocity{1.0, 0.0, 0.0};
  /// Time step. 0 (default): courant * dt_max.
  double dt = 0.0;
  /// Largest Courant number max_d |a_d| dt / h_d when dt is 0; in (0, 1].
  double courant = 0.9;
  Limiter limiter = Limiter::VanLeer;
  /// Initial field u_0(x, y, z) and observations for the misfit; zero if empty.
  CellFunction initial, observation;
  /// Check the field for NaN/Inf after every step (one global reduction per step).
  bool check_finite = true;
  AdjointForm adjoint_form = AdjointForm::Gather;
  /// Process grid (zeros: automatic). Ignored by the Decomposition constructors.
  std::array<int, 3> ranks_per_dim{0, 0, 0};
};

namespace advection_detail {

/// One limited upwind sweep along `Axis`: input u, output u after the sweep.
/// `Upwind` is the offset of the upwind neighbour along Axis (-1 if a > 0, +1 if
/// a < 0), a template argument so that every read offset is a compile-time
/// constant (what lets the adjoint assembly drop the terms of unseeded reads).
template <int Dim, int Axis, int Upwind>
struct MusclSweep : Kernel<Inputs<1>, Outputs<1>> {
  static_assert(Upwind == -1 || Upwind == 1, "the upwind offset is -1 or +1");
  static constexpr Stencil stencil = Stencil::star(Dim, 2);
  double nu = 0.0;  // Courant number in [0, 1]
  int limiter = 2;  // 0 upwind, 1 minmod, 2 van Leer

  /// v_m = u at m cells upwind.
  template <class In>
  KOKKOS_FORCEINLINE_FUNCTION typename In::scalar v(const In& in, int m) const {
    const int o = Upwind * m;
    return in(0, Axis == 0 ? o : 0, Axis == 1 ? o : 0, Axis == 2 ? o : 0);
  }

  /// Limited slope; 0 at extrema and where the data is flat. Products of slopes
  /// below the smallest normal double count as flat, so that derivatives are never
  /// computed in denormal arithmetic (where they lose all precision).
  template <class S>
  KOKKOS_FORCEINLINE_FUNCTION S slope(const S& a, const S& b) const {
    if (limiter == 0 || a * b <= 2.2250738585072014e-308) return S(0.0);
    if (limiter == 1) return undertow::abs(a) < undertow::abs(b) ? a : b;
    // Dual values round as double values do, so a tangent or adjoint run takes
    // exactly the branches of the primal run.
    return 2.0 * a * b / (a + b);
  }

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S v0 = v(in, 0), v1 = v(in, 1), v2 = v(in, 2), vd = v(in, -1);
    const S sigma0 = slope(v0 - v1, vd - v0);
    const S sigma1 = slope(v1 - v2, v0 - v1);
    out(0) = (1.0 - nu) * v0 + nu * v1 - 0.5 * nu * (1.0 - nu) * (sigma0 - sigma1);
  }
};

inline std::string format(double x) {
  std::ostringstream os;
  os.precision(6);
  os << x;
  return os.str();
}

/// x rounded down to 6 significant digits (the printed limit is itself stable).
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

}  // namespace advection_detail

class AdvectionSolver {
 public:
  /// Collective. Throws Error on every rank for an unstable time step (stating
  /// the largest stable one) or other bad parameters.
  AdvectionSolver(const mesh::Mesh& mesh, std::shared_ptr<const Decomposition> decomposition,
                  AdvectionParameters params = {})
      : mesh_(mesh), params_(std::move(params)), dec_(std::move(decomposition)) {
    build();
  }
  AdvectionSolver(const mesh::Mesh& mesh, MPI_Comm comm, AdvectionParameters params = {})
      : AdvectionSolver(mesh, mesh.decompose(comm, params.ranks_per_dim), params) {}
  /// Periodic where the grid is periodic, zero-gradient (outflow) elsewhere.
  AdvectionSolver(const GridSpec& grid, MPI_Comm comm, AdvectionParameters params = {})
      : AdvectionSolver(default_mesh(grid), comm, std::move(params)) {}
  AdvectionSolver(const GridSpec& grid, std::shared_ptr<const Decomposition> decomposition,
                  AdvectionParameters params = {})
      : AdvectionSolver(default_mesh(grid), std::move(decomposition), std::move(params)) {}

  AdvectionSolver(const AdvectionSolver&) = delete;
  AdvectionSolver& operator=(const AdvectionSolver&) = delete;

  static mesh::Mesh default_mesh(const GridSpec& grid) {
    return mesh::Mesh(grid, mesh::BoundarySpec::periodic_or(grid, mesh::FaceBoundary::outflow()), "advection");
  }

  /// dt_max = min_d h_d / |a_d| over the dimensions with a_d != 0 (infinity if a = 0).
  static double largest_stable_dt(const GridSpec& grid, const std::array<double, 3>& velocity) {
    double rate = 0.0;
    for (int d = 0; d < grid.dim; ++d)
      rate = std::max(rate, std::abs(velocity[static_cast<std::size_t>(d)]) / grid.spacing(d));
    return rate > 0.0 ? 1.0 / rate : std::numeric_limits<double>::infinity();
  }

  Program& program() { return *program_; }
  const Program& program() const { return *program_; }
  const Decomposition& decomposition() const { return *dec_; }
  std::shared_ptr<const Decomposition> decomposition_ptr() const { return dec_; }
  const mesh::Mesh& mesh() const { return mesh_; }
  const GridSpec& grid() const { return dec_->grid(); }
  const AdvectionParameters& parameters() const { return params_; }
  Var tracer() const { return u_; }
  Var observation() const { return obs_; }
  const Field<double>& tracer_field() const { return program_->value(u_); }
  const Field<double>& observation_field() const { return program_->value(obs_); }
  /// After gradient() or function(n).adjoint(): dJ/du_0.
  const Field<double>& gradient_initial_tracer() const { return program_->adjoint(u_); }

  double dt() const { return dt_; }
  double max_stable_dt() const { return dt_max_; }
  /// Courant number |a_d| dt / h_d used in dimension d.
  double courant(int d) const { return nu_[static_cast<std::size_t>(d)]; }
  std::int64_t steps_taken() const { return steps_; }
  double time() const { return static_cast<double>(steps_) * dt_; }
  void set_time(std::int64_t steps) { steps_ = steps; }

  void set_tracer(const CellFunction& f) { set_cells(tracer_field(), f); }
  void set_observation(const CellFunction& f) { set_cells(observation_field(), f); }
  void set_tracer(const Field<double>& f) { copy(tracer_field(), f); }
  void set_observation(const Field<double>& f) { copy(observation_field(), f); }

  /// One time step (collective); throws on every rank if the field became NaN/Inf.
  void step() {
    program_->set_step_index(steps_);
    program_->run_forward(Section::Step);
    ++steps_;
  }
  void run(int n) {
    for (int i = 0; i < n; ++i) step();
  }
  /// J = 1/2 sum (u - observation)^2 for the current field.
  double objective() {
    program_->set_objective(0.0);
    program_->run_forward(Section::Final);
    return program_->objective();
  }

  /// u_0 -> (u_n, J) over n steps as a Differentiable (a Problem: every state kept unless `checkpointing` asks for
  /// revolve; runs in place).
  Problem function(int n, const Checkpointing& checkpointing = {}) {
    program_->set_step_index(steps_);
    ProblemOptions options;
    options.steps = n;
    options.checkpointing = checkpointing;
    return Problem(*program_, {u_}, {u_}, options);
  }

  /// dJ in direction du_0 over n steps; the final field's tangent is left in
  /// program().tangent(tracer()); the field is restored afterwards.
  double tangent(int n, const Field<double>& d_tracer) {
    Problem f = function(n);  // leaves the field where it found it
    Field<double> out = tracer_field().clone_layout("advection_final_tangent");
    const double dj = f.tangent({d_tracer}, {out});
    return dj;
  }

  /// n steps forward and the checkpointed reverse sweep; afterwards
  /// gradient_initial_tracer() = dJ/du_0; the field is restored to u_0.
  GradientResult gradient(int n, const Checkpointing& checkpointing = {}) {
    return function(n, checkpointing).gradient();
  }

  std::string describe() const {
    std::ostringstream os;
    os << "advection solver: " << grid().dim << "D, " << grid().describe() << "\n  velocity (";
    for (int d = 0; d < grid().dim; ++d) os << (d ? ", " : "") << params_.velocity[static_cast<std::size_t>(d)];
    os << "), dt = " << dt_ << " (largest stable " << dt_max_ << "), Courant (";
    for (int d = 0; d < grid().dim; ++d) os << (d ? ", " : "") << nu_[static_cast<std::size_t>(d)];
    os << "), limiter " << to_string(params_.limiter) << "\n  boundary: " << mesh_.boundary().describe(grid().dim)
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
    if (f.kind == mesh::BoundaryKind::Periodic) return FaceCondition::none();
    if (f.kind == mesh::BoundaryKind::Dirichlet) return FaceCondition::dirichlet(f.value);
    return FaceCondition::neumann();
  }

  void build() {
    if (!dec_) throw Error("AdvectionSolver: null decomposition");
    const GridSpec& g = dec_->grid();
    collective_check(dec_->comm(), [&] {
      const GridSpec& m = mesh_.grid();
      bool same = m.dim == g.dim;
      for (int d = 0; d < 3; ++d) same = same && m.cells[d] == g.cells[d] && m.periodic[d] == g.periodic[d];
      if (!same) throw Error("AdvectionSolver: the decomposition's grid is not the mesh's grid");
      for (int d = 0; d < g.dim; ++d) {
        if (!std::isfinite(params_.velocity[static_cast<std::size_t>(d)])) {
          throw Error("AdvectionSolver: the velocity must be finite");
        }
      }
      if (!(params_.courant > 0.0 && params_.courant <= 1.0)) {
        throw Error("AdvectionSolver: the Courant number must lie in (0, 1], got " +
                    advection_detail::format(params_.courant));
      }
      if (!(params_.dt >= 0.0) || !std::isfinite(params_.dt)) {
        throw Error("AdvectionSolver: the time step must be a finite positive number (0: automatic), got " +
                    advection_detail::format(params_.dt));
      }
      dt_max_ = largest_stable_dt(g, params_.velocity);
      if (!std::isfinite(dt_max_) && params_.dt == 0.0) {
        throw Error("AdvectionSolver: the velocity is zero, so there is no Courant limit: give dt explicitly");
      }
      double rate_max = 0.0;
      for (int d = 0; d < g.dim; ++d)
        rate_max = std::max(rate_max, std::abs(params_.velocity[static_cast<std::size_t>(d)]) / g.spacing(d));
      if (params_.dt == 0.0) {
        // nu_d = courant * (rate_d / rate_max): exactly `courant` on the fastest axis.
        dt_ = params_.courant / rate_max;
        for (int d = 0; d < g.dim; ++d) {
          const double rate = std::abs(params_.velocity[static_cast<std::size_t>(d)]) / g.spacing(d);
          nu_[static_cast<std::size_t>(d)] = params_.courant * (rate / rate_max);
        }
      } else {
        dt_ = params_.dt;
        std::ostringstream courants;
        bool unstable = false;
        for (int d = 0; d < g.dim; ++d) {
          const double nu = std::abs(params_.velocity[static_cast<std::size_t>(d)]) * dt_ / g.spacing(d);
          courants << (d ? ", " : "") << advection_detail::format(nu);
          unstable = unstable || nu > 1.0 + 1e-12;
          nu_[static_cast<std::size_t>(d)] = std::min(nu, 1.0);
        }
        if (unstable) {
          throw Error("AdvectionSolver: the time step dt = " + advection_detail::format(dt_) +
                      " is unstable (Courant numbers |a_d| dt / h_d = (" + courants.str() +
                      "), at most 1 allowed); the largest stable time step is dt_max = " +
                      advection_detail::format_down(dt_max_) + " (min_d h_d / |a_d|)");
        }
      }
    });

    program_ = std::make_unique<Program>(dec_, ProgramOptions{params_.adjoint_form});
    Program& p = *program_;
    const int ghost = 4;  // radius-2 stencil: gather adjoints read 4 layers
    u_ = p.add_state("tracer", 1, ghost);
    obs_ = p.add_data("observation", 1, 0);

    BoundaryConditions bc;
    bool walls = false;
    for (int d = 0; d < g.dim; ++d) {
      if (g.periodic[d]) continue;
      walls = true;
      for (int side = 0; side < 2; ++side) bc.set(d, side, face_condition(mesh_.boundary().at(d, side)));
    }
    std::vector<int> active;
    for (int d = 0; d < g.dim; ++d) {
      if (params_.velocity[static_cast<std::size_t>(d)] != 0.0) active.push_back(d);
    }
    Var temp[2];
    if (!active.empty()) temp[0] = p.add_temporary("tracer_sweep_1", 1, ghost);
    if (active.size() > 2) temp[1] = p.add_temporary("tracer_sweep_2", 1, ghost);
    Var cur = u_;
    for (std::size_t a = 0; a < active.size(); ++a) {
      const bool last = a + 1 == active.size();
      Var out = (last && cur.id != u_.id) ? u_ : (cur.id == temp[0].id ? temp[1] : temp[0]);
      p.exchange(cur);
      if (walls) p.boundary(cur, bc);
      add_sweep(active[a], cur, out);
      cur = out;
    }
    if (cur.id != u_.id) p.copy(u_, cur);
    if (params_.check_finite) p.check_finite(u_);

    p.set_section(Section::Final);
    p.objective_misfit(u_, obs_, 1.0);
    p.set_section(Section::Step);

    if (params_.initial) set_cells(tracer_field(), params_.initial);
    if (params_.observation) set_cells(observation_field(), params_.observation);
  }

  template <int Dim, int Axis>
  void add_sweep_for(Var in, Var out) {
    if (params_.velocity[Axis] > 0.0) {
      add_oriented_sweep<Dim, Axis, -1>(in, out);
    } else {
      add_oriented_sweep<Dim, Axis, 1>(in, out);
    }
  }

  template <int Dim, int Axis, int Upwind>
  void add_oriented_sweep(Var in, Var out) {
    advection_detail::MusclSweep<Dim, Axis, Upwind> k;
    k.nu = nu_[Axis];
    k.limiter = params_.limiter == Limiter::Upwind ? 0 : params_.limiter == Limiter::Minmod ? 1 : 2;
    program_->apply(k, {in}, {out});
  }

  void add_sweep(int axis, Var in, Var out) {
    switch (grid().dim * 3 + axis) {
      case 3:
        add_sweep_for<1, 0>(in, out);
        break;
      case 6:
        add_sweep_for<2, 0>(in, out);
        break;
      case 7:
        add_sweep_for<2, 1>(in, out);
        break;
      case 9:
        add_sweep_for<3, 0>(in, out);
        break;
      case 10:
        add_sweep_for<3, 1>(in, out);
        break;
      default:
        add_sweep_for<3, 2>(in, out);
        break;
    }
  }

  mesh::Mesh mesh_;
  AdvectionParameters params_;
  std::shared_ptr<const Decomposition> dec_;
  std::unique_ptr<Program> program_;
  Var u_, obs_;
  double dt_ = 0.0, dt_max_ = 0.0;
  std::array<double, 3> nu_{0.0, 0.0, 0.0};
  std::int64_t steps_ = 0;
};

}  // namespace solvers
}  // namespace undertow
