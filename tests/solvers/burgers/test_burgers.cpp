// BurgersSolver: conservation to round-off (periodic and walls), the exact
// Cole-Hopf solution of a 1D-like configuration with its first-order convergence,
// derivatives with the verification harness, gradients bitwise identical on 1-4
// ranks and 1-2 threads, refusal of unstable time steps, NaN detection, meshes.
#include <cmath>

#include "solvers/solver_test_util.hpp"
#include "undertow/solvers/burgers.hpp"
#include "undertow_source_tree.hpp"

using namespace undertow;
using namespace undertow::solvers;
using namespace undertow_test;
using namespace solver_test;

namespace {

using undertow_test::kPi;

double smooth(double x, double y, double) {
  return 0.4 + 0.8 * std::sin(2 * kPi * x + 0.3) * std::cos(2 * kPi * y - 0.1) + 0.2 * std::sin(6 * x * y + 1.0);
}

double viscosity_profile(double x, double y, double) {
  return 0.01 * (1.0 + 0.5 * std::sin(2 * kPi * x) * std::sin(2 * kPi * y));
}

/// Cole-Hopf: phi = a + exp(-nu t) cos(x) solves phi_t = nu phi_xx, so
/// u = -2 nu phi_x / phi = 2 nu e sin(x) / (a + e cos(x)), e = exp(-nu t), solves
/// u_t + u u_x = nu u_xx on the 2 pi-periodic line.
double cole_hopf(double x, double t, double nu, double a) {
  const double e = std::exp(-nu * t);
  return 2 * nu * e * std::sin(x) / (a + e * std::cos(x));
}

}  // namespace

TEST_CASE("burgers: the integral of u is conserved to round-off; the maximum principle holds", "[burgers][primal]") {
  for (bool periodic : {true, false}) {
    INFO((periodic ? "periodic" : "walls (u = 0)"));
    const GridSpec g = GridSpec::rect(24, 18, {periodic, periodic}, {1.0, 0.75});
    BurgersParameters p;
    p.viscosity_function = viscosity_profile;
    p.initial = smooth;
    BurgersSolver s(g, MPI_COMM_WORLD, p);
    const double m0 = sum(s.velocity_field());
    const std::vector<double> u0 = gather_global(s.velocity_field());
    double scale = 0;
    for (double v : u0) scale += std::abs(v);
    s.run(80);
    if (periodic) CHECK(std::abs(sum(s.velocity_field()) - m0) <= 1e-14 * scale);
    const std::vector<double> u = gather_global(s.velocity_field());
    CHECK(relative_difference(u, u0) > 0.05);  // the state did evolve
    // Maximum principle of the monotone scheme (walls hold u = 0, within the bounds).
    CHECK(*std::max_element(u.begin(), u.end()) <= std::max(0.0, *std::max_element(u0.begin(), u0.end())));
    CHECK(*std::min_element(u.begin(), u.end()) >= std::min(0.0, *std::min_element(u0.begin(), u0.end())));
  }
}

TEST_CASE("burgers: a 1D-like configuration matches the exact Cole-Hopf solution at first order", "[burgers][primal]") {
  const double nu = 0.02, a = 1.05, t_end = 1.0;
  auto error = [&](int n) {
    const double h = 2 * kPi / n;
    const GridSpec g = GridSpec::rect(n, 4, {true, true}, {2 * kPi, 4 * h});
    BurgersParameters p;
    p.viscosity = nu;
    p.initial = [&](double x, double, double) { return cole_hopf(x, 0.0, nu, a); };
    BurgersSolver probe(g, MPI_COMM_WORLD, p);
    const int steps = static_cast<int>(std::ceil(t_end / probe.dt()));
    p.dt = t_end / steps;
    BurgersSolver s(g, MPI_COMM_WORLD, p);
    s.run(steps);
    CHECK(s.time() == Approx(t_end).epsilon(1e-12));
    const std::vector<double> u = gather_global(s.velocity_field());  // index i * 4 + j
    double err = 0;
    bool rows_identical = true;
    for (int i = 0; i < n; ++i) {
      err = std::max(err, std::abs(u[static_cast<std::size_t>(i * 4)] - cole_hopf(g.center(0, i), t_end, nu, a)));
      for (int j = 1; j < 4; ++j)
        rows_identical = rows_identical && u[static_cast<std::size_t>(i * 4 + j)] == u[static_cast<std::size_t>(i * 4)];
    }
    CHECK(rows_identical);  // the y fluxes cancel exactly
    return err;
  };
  const double e1 = error(64), e2 = error(128), e3 = error(256);
  const double peak = 2 * nu / std::sqrt(a * a - 1);  // max |u| of the exact solution at t = 0
  INFO("max errors " << e1 << " " << e2 << " " << e3 << " (peak " << peak << "), orders " << std::log2(e1 / e2) << " "
                     << std::log2(e2 / e3));
  CHECK(e3 <= 0.05 * peak);
  CHECK(std::log2(e2 / e3) >= 0.8);
  CHECK(std::log2(e2 / e3) <= 1.3);
  CHECK(std::log2(e1 / e2) >= 0.7);
}

TEST_CASE("burgers: derivatives pass the dot-product and Taylor tests", "[burgers][derivatives]") {
  struct Case {
    std::string name;
    GridSpec grid;
    bool mixed;
  };
  const Case cases[] = {
      {"1d-periodic", GridSpec::line(40, true), false},
      {"2d-periodic", GridSpec::rect(20, 16, {true, true}), false},
      {"2d-walls-dirichlet-outflow", GridSpec::rect(20, 16, {false, false}), true},
      {"3d-periodic", GridSpec::box(9, 8, 8, {true, true, true}), false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    mesh::BoundarySpec bc = mesh::BoundarySpec::periodic_or(c.grid, mesh::FaceBoundary::wall());
    if (c.mixed) {
      bc.at(0, 0) = mesh::FaceBoundary::dirichlet(0.7);
      bc.at(0, 1) = mesh::FaceBoundary::outflow();
    }
    BurgersParameters p;
    p.viscosity_function = viscosity_profile;
    p.initial = smooth;
    p.observation = [](double x, double y, double) { return 0.3 * x - y; };
    BurgersSolver s(mesh::Mesh(c.grid, bc), MPI_COMM_WORLD, p);
    Problem f = s.function(4);
    VerifyOptions opt;
    opt.name = "burgers " + c.name;
    opt.relative_step = 1e-4;  // no max(|uL|, |uR|) branch flips
    const VerificationReport r = verify(f, opt);
    INFO(r.str());
    CHECK(r.dot_passed);
    CHECK(r.taylor_passed);
    CHECK_FALSE(r.linear);
  }
}

TEST_CASE("burgers: gradients agree bitwise across ranks, threads, schedules and adapters", "[burgers][derivatives]") {
  const GridSpec g = GridSpec::rect(20, 16, {true, false}, {1.0, 0.8});
  mesh::BoundarySpec bc = mesh::BoundarySpec::periodic_or(g, mesh::FaceBoundary::wall());
  bc.at(1, 1) = mesh::FaceBoundary::dirichlet(-0.2);
  const mesh::Mesh m(g, bc);
  BurgersParameters p;
  p.viscosity_function = viscosity_profile;
  p.initial = smooth;
  p.observation = [](double x, double y, double) { return std::sin(4 * x) * y; };
  const int n = 10;
  auto gradient_of = [&](std::shared_ptr<const Decomposition> dec, int snapshots) {
    BurgersSolver s(m, dec, p);
    Checkpointing o;
    o.snapshots = snapshots;
    s.gradient(n, o);
    std::vector<double> all = gather_global(s.gradient_initial_velocity());
    const std::vector<double> gn = gather_global(s.gradient_viscosity());
    all.insert(all.end(), gn.begin(), gn.end());
    return all;
  };
  const auto world = gradient_of(Decomposition::create(g, MPI_COMM_WORLD), 0);
  CHECK(bitwise_equal(world, gradient_of(Decomposition::create(g, MPI_COMM_WORLD), 3)));
  CHECK(bitwise_equal(world, gradient_of(Decomposition::create(g, MPI_COMM_SELF), 0)));

  BurgersSolver s(m, MPI_COMM_WORLD, p);
  Problem f = s.function(n);
  std::vector<Field<double>> grads = {s.velocity_field().clone_layout("gu"), s.viscosity_field().clone_layout("gn")};
  f.evaluate();  // must not move the base point the adjoint starts from
  f.adjoint({s.velocity_field().clone_layout("w")}, 1.0, grads);
  std::vector<double> pf = gather_global(grads[0]);
  const std::vector<double> pn = gather_global(grads[1]);
  pf.insert(pf.end(), pn.begin(), pn.end());
  CHECK(bitwise_equal(world, pf));

  BurgersSolver t(m, MPI_COMM_WORLD, p);
  Field<double> du = t.velocity_field().clone_layout("du"), dn = t.viscosity_field().clone_layout("dn");
  fill_random(du, 21);
  fill_random(dn, 22);
  scale(dn, 0.001);
  const double dj = t.tangent(n, du, dn);
  BurgersSolver a(m, t.decomposition_ptr(), p);
  const GradientResult r = a.gradient(n);
  CHECK(dj == Approx(dot(a.gradient_initial_velocity(), du) + dot(a.gradient_viscosity(), dn)).epsilon(1e-12));
  a.run(n);
  CHECK(r.objective == Approx(a.objective()).epsilon(1e-15));

  undertow_test::record_gradient_hash("solver_hash_burgers_", "2d_walls", world);
}

TEST_CASE("burgers: an unstable time step is refused with the largest stable one", "[burgers][errors]") {
  const GridSpec g = GridSpec::rect(20, 16, {true, true}, {1.0, 0.8});
  BurgersParameters p;
  p.viscosity = 0.02;
  p.initial = [](double x, double, double) { return 1.5 * std::sin(2 * kPi * x); };
  BurgersSolver probe(g, MPI_COMM_WORLD, p);
  const double umax = max_abs(probe.velocity_field());
  const double expected = 1.0 / (umax / 0.05 + 2 * 0.02 / 0.0025 + umax / 0.05 + 2 * 0.02 / 0.0025);
  CHECK(probe.max_stable_dt() == Approx(expected).epsilon(1e-14));
  p.dt = 1.01 * expected;
  const std::string msg = error_message([&] { BurgersSolver s(g, MPI_COMM_WORLD, p); });
  INFO(msg);
  CHECK(all_ranks(msg.find("largest stable time step") != std::string::npos));
  const double stated = number_after(msg, "dt_max = ");
  CHECK(stated <= expected);
  CHECK(stated >= expected * (1 - 1e-5));
  p.dt = stated;
  CHECK_NOTHROW(BurgersSolver(g, MPI_COMM_WORLD, p));
  // A larger state later is refused too, as is a negative viscosity.
  BurgersSolver s(g, MPI_COMM_WORLD, p);
  CHECK(all_ranks(error_message([&] {
                    s.set_velocity([](double, double, double) { return 3.0; });
                  }).find("dt_max = ") != std::string::npos));
  BurgersParameters neg = p;
  neg.dt = 0;
  neg.viscosity = -0.01;
  CHECK(all_ranks(error_message([&] { BurgersSolver b(g, MPI_COMM_WORLD, neg); }).find("viscosity") !=
                  std::string::npos));
}

TEST_CASE("burgers: a NaN or Inf appearing mid-run is reported with the step and field on every rank",
          "[burgers][errors]") {
  const GridSpec g = GridSpec::rect(20, 16, {true, true});
  BurgersParameters p;
  p.initial = smooth;
  {
    BurgersSolver s(g, MPI_COMM_WORLD, p);
    s.run(5);
    poke(s.velocity_field(), 19, 0, 0, std::nan(""));
    const std::string msg = error_message([&] { s.run(2); });
    INFO(msg);
    CHECK(all_ranks(msg.find("non-finite values in 'velocity' at step 5") != std::string::npos));
  }
  {
    BurgersSolver s(g, MPI_COMM_WORLD, p);
    s.run(1);
    poke(s.viscosity_field(), 7, 9, 0, 1e308);  // behind the solver's back
    const std::string msg = error_message([&] { s.run(3); });
    INFO(msg);
    CHECK(all_ranks(msg.find("non-finite values in 'velocity' at step 1") != std::string::npos));
  }
}

TEST_CASE("burgers: runs on the channel mesh with its diffusivity as viscosity", "[burgers][mesh]") {
  const mesh::Mesh m = mesh::load_mesh(std::string(undertow_build::meshes_dir) + "/channel2d.toml", MPI_COMM_WORLD);
  BurgersParameters p;
  p.viscosity_field = "diffusivity";
  p.initial = [](double x, double y, double) { return 1.0 + 0.5 * std::sin(kPi * x / 2) * std::sin(kPi * y); };
  p.observation = [](double, double y, double) { return y; };
  BurgersSolver s(m, MPI_COMM_WORLD, p);
  const Field<double> loaded = m.load_field("diffusivity", s.decomposition_ptr(), 1);
  CHECK(bitwise_equal(gather_global(loaded), gather_global(s.viscosity_field())));
  // Walls (u = 0) at y = 0, 1 and periodic x: the maximum principle holds.
  s.run(20);
  const std::vector<double> u = gather_global(s.velocity_field());
  CHECK(*std::max_element(u.begin(), u.end()) <= 1.5);
  CHECK(*std::min_element(u.begin(), u.end()) >= 0.0);
  s.set_time(0);
  Problem f = s.function(2);
  VerifyOptions opt;
  opt.name = "burgers on channel2d";
  opt.relative_step = 1e-4;
  const VerificationReport r = verify(f, opt);
  INFO(r.str());
  CHECK(r.passed());
}
