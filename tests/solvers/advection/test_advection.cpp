// AdvectionSolver: exact translation at Courant number 1 for every limiter (1D,
// both directions, and diagonal in 2D), no new extrema, observed convergence
// orders against the exact translated solution, derivatives through the limiter
// branches with the verification harness, gradients bitwise identical on 1-4
// ranks and 1-2 threads, refusal of unstable time steps, NaN detection, meshes.
#include <cmath>

#include "solvers/solver_test_util.hpp"
#include "undertow/solvers/advection.hpp"
#include "undertow_source_tree.hpp"

using namespace undertow;
using namespace undertow::solvers;
using namespace undertow_test;
using namespace solver_test;

namespace {

using undertow_test::kPi;

/// Rough data: a square wave, a kink and deterministic noise, so limiters are active.
double rough(double x, double y, double) {
  const double square = (x > 0.2 && x < 0.45) ? 1.0 : 0.0;
  const double kink = std::max(0.0, 0.3 - std::abs(x - 0.7)) * 2.0;
  const double noise = 0.05 * std::sin(97.0 * x + 31.0 * y) * std::cos(53.0 * y);
  return square + kink + noise + 0.3 * std::cos(2 * kPi * y);
}

/// Smooth data without flat regions (limiter branches do not flip under small perturbations).
double smooth(double x, double y, double) {
  return 0.5 + std::sin(2 * kPi * x + 0.3) * std::cos(2 * kPi * y - 0.1) + 0.3 * std::sin(6 * x * y + 1.0) +
         0.1 * std::cos(11.0 * x - 7.0 * y);
}

const Limiter kLimiters[] = {Limiter::Upwind, Limiter::Minmod, Limiter::VanLeer};

}  // namespace

TEST_CASE("advection: exact translation by one cell per step at Courant number 1", "[advection][primal]") {
  for (Limiter lim : kLimiters) {
    INFO("limiter " << to_string(lim));
    for (double a : {1.0, -2.5}) {
      INFO("1D velocity " << a);
      const GridSpec g = GridSpec::line(40, true);
      AdvectionParameters p;
      p.velocity = {a, 0, 0};
      p.courant = 1.0;
      p.limiter = lim;
      p.initial = rough;
      AdvectionSolver s(g, MPI_COMM_WORLD, p);
      CHECK(s.courant(0) == 1.0);
      const std::vector<double> u0 = gather_global(s.tracer_field());
      const int n = 17;
      s.run(n);
      const std::vector<double> u = gather_global(s.tracer_field());
      std::vector<double> shifted(u0.size());
      const int shift = a > 0 ? n : -n;
      for (int i = 0; i < 40; ++i)
        shifted[static_cast<std::size_t>(i)] = u0[static_cast<std::size_t>(((i - shift) % 40 + 40) % 40)];
      CHECK(bitwise_equal(u, shifted));
      CHECK(s.time() == Approx(n * 1.0 / 40 / std::abs(a)));
    }
    {
      // Diagonal in 2D: a = (0.7, -0.7) on square cells (h = 1/32 exactly), Courant 1 in both sweeps.
      const GridSpec g = GridSpec::rect(32, 16, {true, true}, {1.0, 0.5});
      AdvectionParameters p;
      p.velocity = {0.7, -0.7, 0};
      p.courant = 1.0;
      p.limiter = lim;
      p.initial = rough;
      AdvectionSolver s(g, MPI_COMM_WORLD, p);
      CHECK(s.courant(0) == 1.0);
      CHECK(s.courant(1) == 1.0);
      const std::vector<double> u0 = gather_global(s.tracer_field());
      const int n = 9;
      s.run(n);
      const std::vector<double> u = gather_global(s.tracer_field());
      std::vector<double> shifted(u0.size());
      for (int i = 0; i < 32; ++i) {
        for (int j = 0; j < 16; ++j) {
          const int si = ((i - n) % 32 + 32) % 32, sj = (j + n) % 16;
          shifted[static_cast<std::size_t>(i * 16 + j)] = u0[static_cast<std::size_t>(si * 16 + sj)];
        }
      }
      CHECK(bitwise_equal(u, shifted));
    }
  }
}

TEST_CASE("advection: limited schemes create no new extrema and do not increase total variation",
          "[advection][primal]") {
  for (Limiter lim : {Limiter::Minmod, Limiter::VanLeer}) {
    INFO("limiter " << to_string(lim));
    const GridSpec g = GridSpec::line(60, true);
    AdvectionParameters p;
    p.velocity = {1.0, 0, 0};
    p.courant = 0.6;
    p.limiter = lim;
    p.initial = [](double x, double, double) {
      return (x > 0.2 && x < 0.45) ? 1.0 : (x > 0.6 && x < 0.7 ? -0.5 : 0.0);
    };
    AdvectionSolver s(g, MPI_COMM_WORLD, p);
    auto tv = [](const std::vector<double>& u) {
      double t = 0;
      for (std::size_t i = 0; i < u.size(); ++i) t += std::abs(u[(i + 1) % u.size()] - u[i]);
      return t;
    };
    std::vector<double> u = gather_global(s.tracer_field());
    double tv_prev = tv(u);
    for (int n = 0; n < 40; ++n) {
      s.step();
      u = gather_global(s.tracer_field());
      CHECK(tv(u) <= tv_prev + 1e-13);
      tv_prev = tv(u);
      CHECK(*std::max_element(u.begin(), u.end()) <= 1.0 + 1e-14);
      CHECK(*std::min_element(u.begin(), u.end()) >= -0.5 - 1e-14);
    }
    // 2D, oblique velocity, same bounds.
    const GridSpec g2 = GridSpec::rect(20, 16, {true, true});
    AdvectionParameters p2 = p;
    p2.velocity = {0.8, -0.5, 0};
    p2.initial = [](double x, double y, double) { return (x > 0.3 && x < 0.6 && y > 0.2 && y < 0.5) ? 2.0 : 1.0; };
    AdvectionSolver s2(g2, MPI_COMM_WORLD, p2);
    s2.run(25);
    const std::vector<double> u2 = gather_global(s2.tracer_field());
    CHECK(*std::max_element(u2.begin(), u2.end()) <= 2.0 + 1e-14);
    CHECK(*std::min_element(u2.begin(), u2.end()) >= 1.0 - 1e-14);
  }
}

TEST_CASE("advection: observed convergence orders for a smooth profile after one period", "[advection][primal]") {
  // Exact solution: the initial profile translated by one period (itself).
  auto error = [](Limiter lim, int n) {
    const GridSpec g = GridSpec::line(n, true);
    AdvectionParameters p;
    p.velocity = {1.0, 0, 0};
    p.courant = 0.5;
    p.limiter = lim;
    p.initial = [](double x, double, double) { return std::sin(2 * kPi * x); };
    AdvectionSolver s(g, MPI_COMM_WORLD, p);
    s.run(2 * n);  // t = 2n * 0.5 h = 1
    const std::vector<double> u = gather_global(s.tracer_field());
    double e = 0;
    for (int i = 0; i < n; ++i) e += std::abs(u[static_cast<std::size_t>(i)] - std::sin(2 * kPi * g.center(0, i)));
    return e / n;  // L1
  };
  struct Expect {
    Limiter lim;
    double lo, hi;
  };
  for (const Expect& e :
       {Expect{Limiter::Upwind, 0.8, 1.2}, Expect{Limiter::Minmod, 1.3, 2.2}, Expect{Limiter::VanLeer, 1.6, 2.2}}) {
    const double e1 = error(e.lim, 50), e2 = error(e.lim, 100), e3 = error(e.lim, 200);
    const double order = std::log2(e2 / e3);
    INFO("limiter " << to_string(e.lim) << ": L1 errors " << e1 << " " << e2 << " " << e3 << ", order "
                    << std::log2(e1 / e2) << " " << order);
    CHECK(order >= e.lo);
    CHECK(order <= e.hi);
    CHECK(e3 < e1);
  }
}

TEST_CASE("advection: derivatives through the limiter pass the dot-product and Taylor tests",
          "[advection][derivatives]") {
  struct Case {
    std::string name;
    GridSpec grid;
    std::array<double, 3> velocity;
    Limiter limiter;
    bool inflow;
  };
  const Case cases[] = {
      {"1d-minmod-right", GridSpec::line(40, true), {1.0, 0, 0}, Limiter::Minmod, false},
      {"1d-vanleer-left", GridSpec::line(40, true), {-0.6, 0, 0}, Limiter::VanLeer, false},
      {"1d-upwind", GridSpec::line(40, true), {0.6, 0, 0}, Limiter::Upwind, false},
      {"2d-vanleer", GridSpec::rect(24, 20, {true, true}), {0.7, -0.4, 0}, Limiter::VanLeer, false},
      {"2d-minmod-inflow", GridSpec::rect(24, 20, {true, false}), {-0.3, 0.8, 0}, Limiter::Minmod, true},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    AdvectionParameters p;
    p.velocity = c.velocity;
    p.courant = 0.8;
    p.limiter = c.limiter;
    p.initial = smooth;
    p.observation = [](double x, double y, double) { return 0.2 * x + std::sin(3 * y); };
    mesh::BoundarySpec bc = mesh::BoundarySpec::periodic_or(c.grid, mesh::FaceBoundary::outflow());
    if (c.inflow) bc.at(1, 0) = mesh::FaceBoundary::dirichlet(0.25);
    AdvectionSolver s(mesh::Mesh(c.grid, bc), MPI_COMM_WORLD, p);
    Problem f = s.function(4);
    VerifyOptions opt;
    opt.name = "advection " + c.name;
    opt.relative_step = 1e-5;  // small enough that no limiter branch flips
    const VerificationReport r = verify(f, opt);
    INFO(r.str());
    CHECK(r.dot_passed);
    CHECK(r.taylor_passed);
  }
}

TEST_CASE("advection: gradients agree bitwise across ranks, threads, schedules and adapters",
          "[advection][derivatives]") {
  const GridSpec g = GridSpec::rect(24, 20, {true, true}, {1.2, 1.0});
  AdvectionParameters p;
  p.velocity = {0.7, 0.45, 0};
  p.courant = 0.85;
  p.limiter = Limiter::VanLeer;
  p.initial = rough;
  p.observation = [](double x, double y, double) { return std::sin(2 * kPi * (x + y)); };
  const int n = 10;
  auto gradient_of = [&](std::shared_ptr<const Decomposition> dec, int snapshots) {
    AdvectionSolver s(g, dec, p);
    Checkpointing o;
    o.snapshots = snapshots;
    s.gradient(n, o);
    return gather_global(s.gradient_initial_tracer());
  };
  const auto world = gradient_of(Decomposition::create(g, MPI_COMM_WORLD), 0);
  CHECK(bitwise_equal(world, gradient_of(Decomposition::create(g, MPI_COMM_WORLD), 2)));
  CHECK(bitwise_equal(world, gradient_of(Decomposition::create(g, MPI_COMM_SELF), 0)));

  AdvectionSolver s(g, MPI_COMM_WORLD, p);
  Problem f = s.function(n);
  std::vector<Field<double>> grads = {s.tracer_field().clone_layout("gu")};
  f.evaluate();  // must not move the base point the adjoint starts from
  f.adjoint({s.tracer_field().clone_layout("w")}, 1.0, grads);
  CHECK(bitwise_equal(world, gather_global(grads[0])));

  // Tangent = <gradient, direction>.
  AdvectionSolver t(g, MPI_COMM_WORLD, p);
  Field<double> du = t.tracer_field().clone_layout("du");
  fill_random(du, 3);
  const double dj = t.tangent(n, du);
  AdvectionSolver a(g, t.decomposition_ptr(), p);
  const GradientResult r = a.gradient(n);
  CHECK(dj == Approx(dot(a.gradient_initial_tracer(), du)).epsilon(1e-12));
  a.run(n);
  CHECK(r.objective == Approx(a.objective()).epsilon(1e-15));

  undertow_test::record_gradient_hash("solver_hash_advection_", "2d_vanleer", world);
}

TEST_CASE("advection: a time step above the Courant limit is refused with the largest stable one",
          "[advection][errors]") {
  const GridSpec g = GridSpec::rect(24, 20, {true, true}, {1.2, 0.5});
  AdvectionParameters p;
  p.velocity = {0.7, -0.45, 0};
  const double dt_max = AdvectionSolver::largest_stable_dt(g, p.velocity);
  CHECK(dt_max == Approx(std::min(0.05 / 0.7, 0.025 / 0.45)).epsilon(1e-14));
  p.dt = 1.2 * dt_max;
  const std::string msg = error_message([&] { AdvectionSolver s(g, MPI_COMM_WORLD, p); });
  INFO(msg);
  CHECK(all_ranks(msg.find("largest stable time step") != std::string::npos));
  const double stated = number_after(msg, "dt_max = ");
  CHECK(stated <= dt_max);
  CHECK(stated >= dt_max * (1 - 1e-5));
  p.dt = stated;
  CHECK_NOTHROW(AdvectionSolver(g, MPI_COMM_WORLD, p));
  p.dt = 0;
  p.courant = 1.5;
  CHECK(all_ranks(!error_message([&] { AdvectionSolver s(g, MPI_COMM_WORLD, p); }).empty()));
  AdvectionParameters still;
  still.velocity = {0, 0, 0};
  CHECK(all_ranks(error_message([&] { AdvectionSolver s(g, MPI_COMM_WORLD, still); }).find("give dt") !=
                  std::string::npos));
}

TEST_CASE("advection: a NaN appearing mid-run is reported with the step and field on every rank",
          "[advection][errors]") {
  const GridSpec g = GridSpec::rect(24, 20, {true, true});
  AdvectionParameters p;
  p.velocity = {0.5, 0.5, 0};
  p.initial = smooth;
  AdvectionSolver s(g, MPI_COMM_WORLD, p);
  s.run(4);
  poke(s.tracer_field(), 20, 3, 0, std::nan(""));
  const std::string msg = error_message([&] { s.run(3); });
  INFO(msg);
  CHECK(all_ranks(msg.find("non-finite values in 'tracer' at step 4") != std::string::npos));
}

TEST_CASE("advection: runs on the sample mesh files", "[advection][mesh]") {
  for (const char* file : {"ring1d.toml", "channel2d.toml"}) {
    INFO(file);
    const mesh::Mesh m = mesh::load_mesh(std::string(undertow_build::meshes_dir) + "/" + file, MPI_COMM_WORLD);
    AdvectionParameters p;
    p.velocity = {1.0, 0.2, 0};  // across the channel walls too (zero-gradient there)
    p.initial = smooth;
    p.observation = [](double x, double, double) { return std::cos(x); };
    AdvectionSolver s(m, MPI_COMM_WORLD, p);
    Problem f = s.function(3);
    VerifyOptions opt;
    opt.name = std::string("advection on ") + file;
    opt.relative_step = 1e-5;
    const VerificationReport r = verify(f, opt);
    INFO(r.str());
    CHECK(r.passed());
  }
}
