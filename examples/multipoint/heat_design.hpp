// A multipoint design problem: a conductivity field designed for several heating
// conditions at once.
//
// Physics: transient 2D heat conduction on the unit square, explicit in time,
//   u <- u + r div(k(u) grad u) + s,   k(u) = kappa(x) (1 + beta u),
// with the face conductivity the mean of the two cells', a Dirichlet wall
// temperature on the left face (x = 0), insulated (Neumann) other faces, and a
// Gaussian heat source s near (0.7, 0.55). The conductivity makes the problem
// nonlinear in u.
// Design: four design variables x on a 2x2 lattice -> eight coefficients y on a
// 4x2 lattice by bilinear prolongation and a bounding tanh,
//   y = a tanh(P x)   (the cheap shared Upstream),
// and in every point kappa(x) = 1 + sum_j y_j phi_j(x) with phi_j the bilinear
// hat functions of the 4x2 lattice (a partition of unity, so 1 - a < kappa < 1 + a).
// Points: operating conditions differing by source strength, wall temperature and
// time horizon. Responses per point: the mean temperature of a hot-spot region
// around the source after the last step (a weighted sum of the final field) and a
// misfit against a desired temperature profile (the program's objective, a term
// in its Final section).
// Everything is built with Undertow's public API: a Kernel, a Program, and the
// multipoint ProgramPoint adapter that turns each point's program into a
// PointModel with its tangent and adjoint. Used by examples/multipoint/main.cpp,
// tests/multipoint/test_program_point.cpp and benchmarks/multipoint.cpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "undertow/multipoint/program_point.hpp"
#include "undertow/undertow.hpp"

namespace heat_design {

/// One explicit step of nonlinear heat conduction with a source:
/// inputs (u, kappa, source), output u_next. Star stencil of radius 1 in 2D.
struct HeatStep : undertow::Kernel<undertow::Inputs<1, 1, 1>, undertow::Outputs<1>> {
  static constexpr undertow::Stencil stencil = undertow::Stencil::star(2, 1);
  double r = 0.1;     // dt / h^2
  double beta = 0.2;  // temperature dependence of the conductivity
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0);
    const S k0 = in(1, 0, 0) * (1.0 + beta * u0);
    S flux = 0.0;
    const int di[4] = {1, -1, 0, 0};
    const int dj[4] = {0, 0, 1, -1};
    for (int n = 0; n < 4; ++n) {
      const S un = in(0, di[n], dj[n]);
      const S kn = in(1, di[n], dj[n]) * (1.0 + beta * un);
      flux += 0.5 * (k0 + kn) * (un - u0);
    }
    out(0) = u0 + r * flux + in(2, 0, 0);
  }
};

/// One operating condition.
struct Condition {
  std::string name;
  double heating = 0.8;           // source heat over the horizon (rise at its centre without conduction)
  double wall_temperature = 0.0;  // Dirichlet value on the left face
  int steps = 40;                 // time horizon
};

struct Config {
  int cells = 24;                     // cells per side of the square
  double r = 0.1;                     // dt / h^2 (stable while 4 r max k <= 1)
  double beta = 0.2;                  // k(u) = kappa (1 + beta u)
  double initial_temperature = 0.5;   // uniform initial state
  double amplitude = 0.6;             // |kappa - 1| < amplitude
  std::vector<Condition> conditions;  // one point each
};

/// Three conditions: nominal, hot (more heat, warmer wall, longer), cold wall
/// (less heat, colder wall, shorter). Temperatures stay within about [-0.3, 1.7],
/// so that 4 r max k < 1 for the default r, beta and amplitude.
inline std::vector<Condition> default_conditions(int base_steps) {
  return {{"nominal", 0.8, 0.0, base_steps},
          {"hot", 1.2, 0.2, base_steps + base_steps / 2},
          {"cold-wall", 0.6, -0.3, base_steps / 2 + 1}};
}

constexpr int kDesignVariables = 4;  // 2x2 lattice
constexpr int kCoefficients = 8;     // 4x2 lattice
constexpr int kResponsesPerPoint = 2;

/// Hat function of node `node` of `nodes` equally spaced nodes on [0, 1], at s.
inline double hat(int node, int nodes, double s) {
  const double spacing = 1.0 / (nodes - 1);
  return std::max(0.0, 1.0 - std::fabs(s - node * spacing) / spacing);
}

/// y = a tanh(P x): P prolongs the 2x2 design lattice to the 4x2 coefficient
/// lattice bilinearly (coefficient (i, j) at ((i + 0.5) / 4, (j + 0.5) / 2)).
class ConductivityUpstream : public undertow::Upstream {
 public:
  explicit ConductivityUpstream(double amplitude) : a_(amplitude), P_(kCoefficients * kDesignVariables) {
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 2; ++j) {
        const double s = (i + 0.5) / 4.0, t = (j + 0.5) / 2.0;
        for (int a = 0; a < 2; ++a) {
          for (int b = 0; b < 2; ++b) P_[idx((i * 2 + j) * kDesignVariables + a * 2 + b)] = hat(a, 2, s) * hat(b, 2, t);
        }
      }
    }
  }
  int num_inputs() const override { return kDesignVariables; }
  int num_outputs() const override { return kCoefficients; }
  std::vector<double> evaluate(const std::vector<double>& x) override {
    std::vector<double> y(kCoefficients);
    for (int j = 0; j < kCoefficients; ++j) y[idx(j)] = a_ * std::tanh(row(j, x));
    return y;
  }
  std::vector<double> jvp(const std::vector<double>& x, const std::vector<double>& xdot) override {
    std::vector<double> ydot(kCoefficients);
    for (int j = 0; j < kCoefficients; ++j) {
      const double t = std::tanh(row(j, x));
      ydot[idx(j)] = a_ * (1.0 - t * t) * row(j, xdot);
    }
    return ydot;
  }
  std::vector<double> vjp(const std::vector<double>& x, const std::vector<double>& ybar) override {
    std::vector<double> xbar(kDesignVariables, 0.0);
    for (int j = 0; j < kCoefficients; ++j) {
      const double t = std::tanh(row(j, x));
      const double s = a_ * (1.0 - t * t) * ybar[idx(j)];
      for (int k = 0; k < kDesignVariables; ++k) xbar[idx(k)] += P_[idx(j * kDesignVariables + k)] * s;
    }
    return xbar;
  }
  /// Bytes of this copy's own data (the prolongation matrix).
  std::size_t bytes() const { return P_.size() * sizeof(double) + sizeof(*this); }

 private:
  static std::size_t idx(int i) { return static_cast<std::size_t>(i); }
  double row(int j, const std::vector<double>& v) const {
    double s = 0;
    for (int k = 0; k < kDesignVariables; ++k) s += P_[idx(j * kDesignVariables + k)] * v[idx(k)];
    return s;
  }
  double a_;
  std::vector<double> P_;
};

/// The program and responses of one point, on `comm`.
inline undertow::ProgramPointSetup make_point(const Config& config, int point, MPI_Comm comm) {
  using namespace undertow;
  const Condition& c = config.conditions.at(static_cast<std::size_t>(point));
  const int n = config.cells;
  auto dec = Decomposition::create(GridSpec::rect(n, n), comm);
  auto program = std::make_unique<Program>(dec);
  Program& p = *program;
  // Ghost width 2: the gather adjoint of a radius-1 stencil reads two layers.
  const Var u = p.add_state("u", 1, 2);
  const Var kappa = p.add_parameter("kappa", 1, 2);
  const Var source = p.add_data("source", 1, 2);
  const Var next = p.add_temporary("u_next", 1, 2);
  const Var target = p.add_data("target");

  BoundaryConditions insulated;
  for (int d = 0; d < 2; ++d) insulated.set(d, 0, FaceCondition::neumann()).set(d, 1, FaceCondition::neumann());
  BoundaryConditions walls = insulated;
  walls.set(0, 0, FaceCondition::dirichlet(c.wall_temperature));
  p.exchange(u);
  p.boundary(u, walls);
  // kappa is a Parameter written by the input map: the step fills its ghosts, so
  // its adjoint collects the neighbours' contributions every step.
  p.exchange(kappa);
  p.boundary(kappa, insulated);
  HeatStep step;
  step.r = config.r;
  step.beta = config.beta;
  p.apply(step, {u, kappa, source}, {next});
  p.copy(u, next);
  p.set_section(Section::Final);
  p.objective_misfit(u, target, 1.0 / (double(n) * n));

  auto x_of = [n](std::int64_t i) { return (i + 0.5) / n; };
  fill(p.value(u), config.initial_temperature);
  set_by_global_index<double>(p.value(source), [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
    const double dx = x_of(i) - 0.7, dy = x_of(j) - 0.55;
    return c.heating / c.steps * std::exp(-(dx * dx + dy * dy) / (2 * 0.12 * 0.12));
  });
  // Desired profile: a ramp from the wall temperature up to a warm right side.
  set_by_global_index<double>(p.value(target), [&](int, std::int64_t i, std::int64_t, std::int64_t) {
    return c.wall_temperature + (config.initial_temperature + 0.3 - c.wall_temperature) * x_of(i);
  });

  auto map = std::make_shared<BasisInputMap>();
  Field<double> one = p.value(kappa).clone_layout("kappa_base");
  fill(one, 1.0);
  map->set_base(kappa, one);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 2; ++j) {
      Field<double> phi = p.value(kappa).clone_layout("phi");
      set_by_global_index<double>(phi, [&](int, std::int64_t gi, std::int64_t gj, std::int64_t) {
        return hat(i, 4, x_of(gi)) * hat(j, 2, x_of(gj));
      });
      map->add_term(kappa, i * 2 + j, phi);
    }
  }

  // Hot-spot mean: the average over the cells within 0.15 of the source centre.
  Field<double> region(dec, "hot_spot");
  set_by_global_index<double>(region, [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
    const double dx = x_of(i) - 0.7, dy = x_of(j) - 0.55;
    return dx * dx + dy * dy <= 0.15 * 0.15 ? 1.0 : 0.0;
  });
  scale(region, 1.0 / sum(region));

  ProgramPointSetup setup;
  setup.program = std::move(program);
  setup.steps = c.steps;
  setup.inputs = map;
  setup.responses = {ProgramResponse::weighted_sum("hot-spot mean", u, region),
                     ProgramResponse::objective("profile misfit")};
  return setup;
}

/// PointSpecs for the conditions: weight = steps (the cost of a solve).
inline std::vector<undertow::PointSpec> point_specs(const Config& config) {
  std::vector<undertow::PointSpec> specs;
  for (const Condition& c : config.conditions) {
    undertow::PointSpec s;
    s.name = c.name;
    s.responses = kResponsesPerPoint;
    s.weight = c.steps;
    specs.push_back(s);
  }
  return specs;
}

/// The whole model on `comm`.
inline std::unique_ptr<undertow::Multipoint> make_model(MPI_Comm comm, const Config& config,
                                                        undertow::Sharing sharing = undertow::Sharing::Allow) {
  return std::make_unique<undertow::Multipoint>(
      comm, point_specs(config), std::make_shared<ConductivityUpstream>(config.amplitude),
      undertow::program_point_factory([config](int point, MPI_Comm c) { return make_point(config, point, c); }),
      sharing);
}

/// A design point away from zero (all four variables matter, kappa not uniform).
inline std::vector<double> default_design() {
  return {0.4, -0.3, 0.25, 0.5};
}

}  // namespace heat_design
